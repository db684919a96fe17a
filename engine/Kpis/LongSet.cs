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
        Flush();
        return _small.TryAdd((uint)value);
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
        _pending[_pendingCount++] = (uint)value;
        if (_pendingCount == PendingCapacity)
            Flush();
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
