using System.Numerics;

namespace KpiPipeline.Kpis;

/// <summary>
/// A set of non-negative <see cref="long"/>s by open addressing (linear probing) in one array: 8 bytes a slot at
/// most 70% full, against about 24 bytes an entry for <see cref="HashSet{T}"/>, and one cache miss per lookup.
/// Distinct counts and de-duplication need every id of a date, so this is what a day's size costs in memory.
/// </summary>
internal sealed class LongSet
{
    private long[] _slots; // value + 1; 0 marks an empty slot
    private int _mask;
    private int _limit;
    private long _lastSeen; // the last value added or found, + 1: an order's lines come together, so most adds repeat it

    public LongSet(int capacity = 16)
    {
        var size = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(16, capacity * 10 / 7 + 1));
        _slots = new long[size];
        _mask = size - 1;
        _limit = size / 10 * 7;
    }

    public int Count { get; private set; }

    /// <returns>False when the value was already in the set.</returns>
    public bool Add(long value)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(value);
        var stored = value + 1;
        if (stored == _lastSeen)
            return false;
        _lastSeen = stored;
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
        if (value < 0)
            return false;
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

    /// <summary>The values, in no particular order.</summary>
    public IEnumerable<long> Values()
    {
        foreach (var stored in _slots)
        {
            if (stored != 0)
                yield return stored - 1;
        }
    }

    /// <summary>How many of this set's values are in <paramref name="other"/>.</summary>
    public int CountIn(LongSet other)
    {
        var count = 0;
        foreach (var stored in _slots)
            count += stored != 0 && other.Contains(stored - 1) ? 1 : 0;
        return count;
    }

    // Fibonacci hashing spreads sequential ids (the common case) over the whole table.
    private int Slot(long stored) => (int)((ulong)(stored * -7046029254386353131L) >> 32) & _mask;

    private void Grow()
    {
        var old = _slots;
        _slots = new long[old.Length * 2];
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
