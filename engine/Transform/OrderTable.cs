using System.Text;
using KpiPipeline.Curated;
using KpiPipeline.Kpis;

namespace KpiPipeline.Transform;

/// <summary>
/// The batch's orders by id, compactly: numeric ids in an open-addressing table of longs, other ids in a
/// dictionary, and per order only its created_at, its return flag and its user id's bytes in one shared array,
/// so millions of orders cost tens of bytes each and no object per order.
/// </summary>
internal sealed class OrderTable
{
    private readonly LongIndex _numbers = new();
    private readonly Dictionary<string, int> _texts = new(StringComparer.Ordinal);
    private readonly Utf8Column _users = new(1024, 8);
    private long[] _createdAt = new long[1024];
    private bool[] _returned = new bool[1024];

    public int Count { get; private set; }

    /// <summary>Adds or (a later file repeating an order) replaces an order.</summary>
    public void Set(ReadOnlySpan<byte> orderId, ReadOnlySpan<byte> userId, long createdAtMicros, bool returned)
    {
        var index = Count;
        var existing = DistinctSet.TryNumber(orderId, out var number)
            ? _numbers.GetOrAdd(number, index)
            : GetOrAddText(Encoding.UTF8.GetString(orderId), index);
        if (existing >= 0)
        {
            // A replaced order keeps its slot; its user bytes are re-appended (rare: ids repeat only across files).
            index = existing;
        }
        else
        {
            if (Count == _createdAt.Length)
            {
                Array.Resize(ref _createdAt, Count * 2);
                Array.Resize(ref _returned, Count * 2);
            }
            Count++;
        }
        _createdAt[index] = createdAtMicros;
        _returned[index] = returned;
        _userSlots = EnsureSlots(_userSlots, index);
        _userSlots[index] = _users.Count;
        _users.Add(userId);
    }

    private int[] _userSlots = new int[1024];

    /// <returns>The order's index, or -1 when the batch has no such order.</returns>
    public int Find(ReadOnlySpan<byte> orderId)
    {
        if (DistinctSet.TryNumber(orderId, out var number))
            return _numbers.Find(number);
        Span<char> small = stackalloc char[128];
        var chars = orderId.Length <= small.Length ? small : new char[orderId.Length];
        var text = chars[..Encoding.UTF8.GetChars(orderId, chars)];
        return _texts.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(text, out var index) ? index : -1;
    }

    public long CreatedAt(int index) => _createdAt[index];

    public bool Returned(int index) => _returned[index];

    public ReadOnlySpan<byte> UserId(int index) => _users[_userSlots[index]];

    private int GetOrAddText(string orderId, int index)
    {
        if (_texts.TryGetValue(orderId, out var existing))
            return existing;
        _texts.Add(orderId, index);
        return -1;
    }

    private static int[] EnsureSlots(int[] slots, int index)
    {
        if (index >= slots.Length)
            Array.Resize(ref slots, Math.Max(slots.Length * 2, index + 1));
        return slots;
    }

    /// <summary>Non-negative long keys to int values by open addressing (keys stored + 1; 0 marks an empty slot).</summary>
    private sealed class LongIndex
    {
        private long[] _keys = new long[1024];
        private int[] _values = new int[1024];
        private int _count;

        /// <returns>The existing value, or -1 after adding <paramref name="value"/>.</returns>
        public int GetOrAdd(long key, int value)
        {
            var stored = key + 1;
            var mask = _keys.Length - 1;
            var slot = Slot(stored, mask);
            while (_keys[slot] != 0)
            {
                if (_keys[slot] == stored)
                    return _values[slot];
                slot = (slot + 1) & mask;
            }
            _keys[slot] = stored;
            _values[slot] = value;
            if (++_count > _keys.Length / 10 * 7)
                Grow();
            return -1;
        }

        public int Find(long key)
        {
            var stored = key + 1;
            var mask = _keys.Length - 1;
            var slot = Slot(stored, mask);
            while (_keys[slot] != 0)
            {
                if (_keys[slot] == stored)
                    return _values[slot];
                slot = (slot + 1) & mask;
            }
            return -1;
        }

        private static int Slot(long stored, int mask) => (int)((ulong)(stored * -7046029254386353131L) >> 32) & mask;

        private void Grow()
        {
            var (keys, values) = (_keys, _values);
            _keys = new long[keys.Length * 2];
            _values = new int[keys.Length * 2];
            var mask = _keys.Length - 1;
            for (var i = 0; i < keys.Length; i++)
            {
                if (keys[i] == 0)
                    continue;
                var slot = Slot(keys[i], mask);
                while (_keys[slot] != 0)
                    slot = (slot + 1) & mask;
                _keys[slot] = keys[i];
                _values[slot] = values[i];
            }
        }
    }
}
