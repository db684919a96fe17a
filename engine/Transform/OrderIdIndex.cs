namespace KpiPipeline.Transform;

/// <summary>
/// Non-negative order ids to order indexes. Shop ids are dense and mostly ascending, so ids go to pages of 4,096
/// consecutive ids (an int per id: 4 bytes an order, and consecutive ids touch consecutive memory instead of a
/// hash table's random slots). When the ids turn out scattered (pages less than an eighth full) every id moves
/// to an open-addressing table, which costs 12–24 bytes an id whatever their spread.
/// </summary>
internal sealed class OrderIdIndex
{
    private const int PageBits = 12;
    private const int PageSize = 1 << PageBits;
    private const int PageMask = PageSize - 1;
    private const int PagesBeforeDensityCheck = 64;

    private Dictionary<long, int[]>? _pages = [];
    private long _lastPageNumber = -1;
    private int[]? _lastPage;
    private int _count;
    private LongIndex? _scattered;

    /// <summary>True once the ids proved too scattered for pages.</summary>
    internal bool IsScattered => _scattered is not null;

    /// <returns>The existing index of <paramref name="id"/>, or -1 after adding it with <paramref name="index"/>.</returns>
    public int GetOrAdd(long id, int index)
    {
        if (_scattered is not null)
            return _scattered.GetOrAdd(id, index);
        var page = PageOf(id >> PageBits, create: true)!;
        ref var slot = ref page[(int)(id & PageMask)];
        if (slot != 0)
            return slot - 1;
        slot = index + 1;
        _count++;
        if (_pages!.Count >= PagesBeforeDensityCheck && _count < (long)_pages.Count * (PageSize / 8))
            Scatter();
        return -1;
    }

    /// <returns>The index of <paramref name="id"/>, or -1.</returns>
    public int Find(long id)
    {
        if (_scattered is not null)
            return _scattered.Find(id);
        var page = PageOf(id >> PageBits, create: false);
        return page is null ? -1 : page[(int)(id & PageMask)] - 1;
    }

    private int[]? PageOf(long number, bool create)
    {
        if (number == _lastPageNumber)
            return _lastPage;
        if (!_pages!.TryGetValue(number, out var page))
        {
            if (!create)
                return null;
            page = new int[PageSize];
            _pages.Add(number, page);
        }
        _lastPageNumber = number;
        _lastPage = page;
        return page;
    }

    private void Scatter()
    {
        var scattered = new LongIndex(_count * 2);
        foreach (var (number, page) in _pages!)
        {
            for (var i = 0; i < page.Length; i++)
            {
                if (page[i] != 0)
                    scattered.GetOrAdd((number << PageBits) | (uint)i, page[i] - 1);
            }
        }
        _scattered = scattered;
        _pages = null;
        _lastPage = null;
        _lastPageNumber = -1;
    }

    /// <summary>Non-negative long keys to int values by open addressing (keys stored + 1; 0 marks an empty slot).</summary>
    private sealed class LongIndex(int capacity)
    {
        private long[] _keys = new long[Math.Max(1024, (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)capacity))];
        private int[] _values = new int[Math.Max(1024, (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)capacity))];
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
