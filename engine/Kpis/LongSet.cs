using System.Numerics;
using Roaring.Net.CRoaring;

namespace KpiPipeline.Kpis;

/// <summary>
/// A set of non-negative <see cref="long"/>s. Ids below 2^32 — what shops mostly use, in dense ranges — go into a
/// compressed bitmap (CRoaring): about a bit each and inserted in order (10M item ids: 1.25 MB, against 134 MB as
/// a table of longs). Larger ids are usually scattered (snowflake-style), where a bitmap costs more than a table:
/// those go into an open-addressing table, 8 bytes a slot. Distinct counts and de-duplication need every id of a
/// date, so this is what a day's size costs in memory. The bitmap is native memory: dispose the set.
/// </summary>
internal sealed class LongSet : IDisposable
{
    static LongSet() => RoaringLibrary.EnsureResolvable();

    // Values included without asking whether they were new wait here and enter the bitmap together: one call into
    // the native library per thousand values instead of one per value (each call pins the bitmap's handle).
    private const int PendingCapacity = 1024;

    private readonly Roaring32Bitmap _small = new();
    private readonly LargeIds _large = new();
    private readonly uint[] _pending = new uint[PendingCapacity];
    private int _pendingCount;
    private long _lastSeen = -1; // an order's lines come together, so most adds repeat the last value

    // Values added in a chunk of 65,536 ids (CRoaring's container) that the bitmap had none of when it was first
    // added to are answered from a managed bitmap of that chunk and enter the bitmap in bulk: item ids come mostly
    // in ascending runs, and asking the native bitmap about each one was most of what de-duplicating lines cost.
    // A chunk the bitmap already had values of is asked about as before.
    private const int ChunkBits = 16;
    private const int ShortWindowsBeforeGivingUp = 16;
    private ulong[]? _window;
    private long _windowChunk = -1;
    private bool _windowUsable;
    private int _windowAdds;
    private int _shortWindows;

    public int Count
    {
        get
        {
            Flush();
            return checked((int)_small.Count + _large.Count);
        }
    }

    /// <returns>False when the value was already in the set.</returns>
    public bool Add(long value)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(value);
        if (value == _lastSeen)
            return false;
        _lastSeen = value;
        if (value > uint.MaxValue)
            return _large.Add(value);
        if (value >> ChunkBits != _windowChunk)
            OpenWindow(value >> ChunkBits);
        if (!_windowUsable)
        {
            Flush();
            return _small.TryAdd((uint)value);
        }
        ref var word = ref WindowWord(value);
        var bit = WindowBit(value);
        if ((word & bit) != 0)
            return false;
        word |= bit;
        _windowAdds++;
        Pend((uint)value);
        return true;
    }

    /// <summary>
    /// Makes <paramref name="chunk"/> the chunk of the managed bitmap: usable when the native bitmap holds none of it
    /// (then the managed one is exact), unless windows keep closing after a few values (ids jumping between chunks),
    /// where clearing 8 KB per chunk would cost more than asking the native bitmap.
    /// </summary>
    private void OpenWindow(long chunk)
    {
        if (_windowChunk >= 0 && _windowUsable && _windowAdds < 64)
            _shortWindows++;
        Flush();
        _windowChunk = chunk;
        _windowAdds = 0;
        var first = (uint)(chunk << ChunkBits);
        _windowUsable = _shortWindows < ShortWindowsBeforeGivingUp && !_small.OverlapsRange(first, first + ((1u << ChunkBits) - 1));
        if (_windowUsable)
        {
            if (_window is null)
                _window = new ulong[(1 << ChunkBits) / 64];
            else
                Array.Clear(_window);
        }
    }

    private ref ulong WindowWord(long value) => ref _window![(int)(value & ((1 << ChunkBits) - 1)) >> 6];

    private static ulong WindowBit(long value) => 1UL << (int)(value & 63);

    /// <summary>The native bitmap changed other than through this set's adds: the managed chunk no longer mirrors it.</summary>
    private void CloseWindow() => _windowChunk = -1;

    private void Pend(uint value)
    {
        _pending[_pendingCount++] = value;
        if (_pendingCount == PendingCapacity)
            Flush();
    }

    /// <summary>Adds a value without telling whether it was new (cheaper: small values are added in bulk).</summary>
    public void Include(long value)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(value);
        if (value == _lastSeen)
            return;
        _lastSeen = value;
        if (value > uint.MaxValue)
        {
            _large.Add(value);
            return;
        }
        if (value >> ChunkBits == _windowChunk && _windowUsable)
            WindowWord(value) |= WindowBit(value);
        Pend((uint)value);
    }

    public bool Contains(long value)
    {
        Flush();
        return value >= 0 && (value <= uint.MaxValue ? _small.Contains((uint)value) : _large.Contains(value));
    }

    /// <summary>How many of this set's values are in <paramref name="other"/>.</summary>
    public int CountIn(LongSet other)
    {
        Flush();
        other.Flush();
        return checked((int)_small.AndCount(other._small) + _large.Values().Count(other._large.Contains));
    }

    public bool Overlaps(LongSet other)
    {
        Flush();
        other.Flush();
        return _small.Overlaps(other._small) || _large.Values().Any(other._large.Contains);
    }

    public void UnionWith(LongSet other)
    {
        Flush();
        other.Flush();
        CloseWindow();
        _small.IOr(other._small);
        foreach (var value in other._large.Values())
            _large.Add(value);
    }

    public void Dispose() => _small.Dispose();

    private void Flush()
    {
        if (_pendingCount == 0)
            return;
        _small.AddMany(_pending.AsSpan(0, _pendingCount));
        _pendingCount = 0;
    }

    /// <summary>Open addressing (linear probing) in one array, at most 70% full; one cache miss per lookup.</summary>
    private sealed class LargeIds
    {
        private long[] _slots = new long[16]; // value + 1; 0 marks an empty slot
        private int _mask = 15;
        private int _limit = 11;

        public int Count { get; private set; }

        public bool Add(long value)
        {
            var stored = value + 1;
            var slot = Slot(stored);
            while (_slots[slot] != 0)
            {
                if (_slots[slot] == stored)
                    return false;
                slot = (slot + 1) & _mask;
            }
            _slots[slot] = stored;
            if (++Count > _limit)
                Grow();
            return true;
        }

        public bool Contains(long value)
        {
            var stored = value + 1;
            var slot = Slot(stored);
            while (_slots[slot] != 0)
            {
                if (_slots[slot] == stored)
                    return true;
                slot = (slot + 1) & _mask;
            }
            return false;
        }

        public IEnumerable<long> Values()
        {
            foreach (var stored in _slots)
            {
                if (stored != 0)
                    yield return stored - 1;
            }
        }

        // Fibonacci hashing spreads clustered ids over the whole table.
        private int Slot(long stored) => (int)((ulong)(stored * -7046029254386353131L) >> 32) & _mask;

        private void Grow()
        {
            var old = _slots;
            _slots = new long[(int)BitOperations.RoundUpToPowerOf2((uint)old.Length * 2)];
            _mask = _slots.Length - 1;
            _limit = _slots.Length / 10 * 7;
            foreach (var stored in old)
            {
                if (stored == 0)
                    continue;
                var slot = Slot(stored);
                while (_slots[slot] != 0)
                    slot = (slot + 1) & _mask;
                _slots[slot] = stored;
            }
        }
    }
}
