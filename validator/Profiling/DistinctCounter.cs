using System.Buffers;
using System.Numerics;

namespace KpiPipeline.Validator.Profiling;

/// <summary>
/// A set of 64-bit keys that only counts them: open addressing over an array from the shared pool, so counting
/// the distinct values of a column costs no allocation (a HashSet of ten thousand entries is a large object).
/// </summary>
internal sealed class DistinctCounter : IDisposable
{
    private const long Empty = long.MinValue;

    private readonly long[] _slots;
    private readonly int _mask;
    private readonly int _shift;
    private bool _holdsEmpty;

    public DistinctCounter(int expected)
    {
        var size = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(16, expected * 2));
        _slots = ArrayPool<long>.Shared.Rent(size);
        _slots.AsSpan(0, size).Fill(Empty);
        _mask = size - 1;
        _shift = 64 - BitOperations.Log2((uint)size);
    }

    /// <summary>Distinct keys added.</summary>
    public int Count { get; private set; }

    public void Add(long key)
    {
        if (key == Empty)
        {
            if (!_holdsEmpty)
                Count++;
            _holdsEmpty = true;
            return;
        }
        // Fibonacci hashing: consecutive keys (timestamps a second apart, prices a cent apart) spread over the table.
        var slot = (int)(unchecked((ulong)key * 0x9E3779B97F4A7C15UL) >> _shift);
        while (true)
        {
            var held = _slots[slot];
            if (held == key)
                return;
            if (held == Empty)
            {
                _slots[slot] = key;
                Count++;
                return;
            }
            slot = (slot + 1) & _mask;
        }
    }

    public void Dispose() => ArrayPool<long>.Shared.Return(_slots);
}
