using System.Runtime.CompilerServices;

namespace KpiPipeline.Validation;

/// <summary>
/// Non-negative integer keys, each with a 32-bit value; keys added since the latest mark can be rolled back.
/// </summary>
/// <remarks>
/// <para>
/// Shop ids count up, so a batch's ids fill runs of consecutive numbers: ids of a window of 2^32 numbers
/// (around the first id seen) are grouped in pages of 4096, and a page with many ids holds their values in
/// an array indexed by the id's low bits, plus a presence bitmap: about 4.1 bytes a key, found by direct
/// addressing through a two-level directory.
/// </para>
/// <para>
/// Until a page has <see cref="DenseThreshold"/> ids, and for ids outside the window, keys live in an
/// open-addressing table (12 bytes a slot, at most three quarters full), so scattered ids cost about 16
/// bytes each instead of a page each. The threshold is about where a page and the table cost the same.
/// </para>
/// <para>
/// Rollback stays proportional to what was added since the mark: keys added to the open-addressing table
/// are logged, and a page saves its presence bitmap the first time it changes after a mark (or when it is
/// made, without the logged keys it takes over).
/// </para>
/// </remarks>
internal sealed class NumericKeyTable
{
    private const int PageBits = 12;
    private const int PageSize = 1 << PageBits;
    private const int PageMask = PageSize - 1;
    private const int WordsPerPage = PageSize / 64;
    private const int ChunkPageBits = 10;
    private const int PagesPerChunk = 1 << ChunkPageBits;
    private const int ChunkShift = PageBits + ChunkPageBits;
    private const ulong WindowSize = 1UL << 32;
    private const long NoWindow = long.MinValue;
    private const int GroupSize = 8;

    /// <summary>Ids a page needs before it gets its own arrays: a page then costs what 1024 keys cost in the open-addressing table.</summary>
    internal const int DenseThreshold = 1024;

    /// <summary>Keys in the open-addressing table past which it is sized from the reserved count rather than by doubling.</summary>
    private const int ReserveFrom = 1 << 16;

    // The window's first id (aligned to a page), or NoWindow before the first key: every offset then falls outside.
    private long _base = NoWindow;

    // Per chunk of 1024 pages (allocated on first use), per page: index + 1 of its dense page when > 0, otherwise
    // minus the number of its ids that are in the open-addressing table.
    private readonly int[]?[] _directory = new int[WindowSize >> ChunkShift][];
    private DensePage?[] _pages = new DensePage?[16];
    private int _pagesUsed;
    private readonly Stack<int> _freePages = new();

    // Open addressing for sparse ids. A key is stored + 1 so that 0 marks an empty slot.
    private long[] _keys;
    private int[] _values;
    private int _sparseCount;
    private long _reserved;

    private int _count;

    // Undo since the latest mark: sparse keys added (window offsets as 4 bytes, others as 8) and pages' saved bitmaps.
    private uint[] _windowLog = new uint[256];
    private int _windowLogCount;
    private long[] _farLog = new long[16];
    private int _farLogCount;
    private int[] _savedPages = new int[16];
    private int[] _savedCounts = new int[16];
    private ulong[] _savedBits = new ulong[16 * WordsPerPage];
    private int _savedCount;
    private int _epoch;

    public NumericKeyTable(int expectedSparseKeys)
    {
        var capacity = CapacityFor(Math.Max(expectedSparseKeys, 64));
        _keys = new long[capacity];
        _values = new int[capacity];
    }

    public int Count => _count;

    /// <summary>Starts a new undo log: a rollback from now on forgets only what is added after this.</summary>
    public void Mark() => ResetUndo();

    /// <summary>Notes how many more keys are coming; the open-addressing table uses it only once many keys turn out sparse.</summary>
    public void Reserve(int additionalKeys) => _reserved = Math.Max(_reserved, (long)_count + Math.Max(0, additionalKeys));

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool Contains(long number)
    {
        var offset = unchecked((ulong)(number - _base));
        if (offset >= WindowSize)
            return FindSlot(number) >= 0;
        // No chunk, or a page entry of 0, means no id of that range was ever added: no probe needed.
        var chunk = _directory[(int)(offset >> ChunkShift)];
        if (chunk is null)
            return false;
        var entry = chunk[(int)(offset >> PageBits) & (PagesPerChunk - 1)];
        if (entry > 0)
        {
            var bit = (int)offset & PageMask;
            return (_pages[entry - 1]!.Present[bit >> 6] & (1UL << bit)) != 0;
        }
        return entry < 0 && FindSlot(number) >= 0;
    }

    /// <summary>The value stored with <paramref name="number"/>, when it is present.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool TryGetValue(long number, out int value)
    {
        var offset = unchecked((ulong)(number - _base));
        if (offset < WindowSize && _directory[(int)(offset >> ChunkShift)] is { } chunk
            && chunk[(int)(offset >> PageBits) & (PagesPerChunk - 1)] is var entry and > 0)
        {
            var page = _pages[entry - 1]!;
            var bit = (int)offset & PageMask;
            var present = (page.Present[bit >> 6] & (1UL << bit)) != 0;
            value = present ? page.Values[bit] : 0;
            return present;
        }
        var slot = FindSlot(number);
        value = slot >= 0 ? _values[slot] : 0;
        return slot >= 0;
    }

    /// <summary>Adds the key unless present; returns false with the stored value when it is.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool TryAdd(long number, int value, out int existing)
    {
        var offset = unchecked((ulong)(number - _base));
        if (offset >= WindowSize)
        {
            if (_base != NoWindow)
            {
                if (!TryAddSparse(number, value, out existing))
                    return false;
                if (_farLogCount == _farLog.Length)
                    Array.Resize(ref _farLog, _farLog.Length * 2);
                _farLog[_farLogCount++] = number;
                return true;
            }
            // The window is centred on the first id, so ids on either side of it get pages.
            _base = Math.Max(0, number - (long)(WindowSize / 2)) & ~(long)PageMask;
            offset = (ulong)(number - _base);
        }
        ref var chunk = ref _directory[(int)(offset >> ChunkShift)];
        var pageIndex = (int)(offset >> PageBits) & (PagesPerChunk - 1);
        if (chunk is not null && chunk[pageIndex] > 0)
            return TryAddDense(_pages[chunk[pageIndex] - 1]!, (int)offset & PageMask, value, out existing);
        if (!TryAddSparse(number, value, out existing))
            return false;
        if (_windowLogCount == _windowLog.Length)
            Array.Resize(ref _windowLog, _windowLog.Length * 2);
        _windowLog[_windowLogCount++] = (uint)offset;
        chunk ??= new int[PagesPerChunk];
        if (--chunk[pageIndex] == -DenseThreshold)
            chunk[pageIndex] = Promote((long)(offset & ~(ulong)PageMask)) + 1;
        return true;
    }

    /// <summary>Forgets every key added since the latest mark.</summary>
    public void Rollback()
    {
        // Pages first go back to their bitmap as saved; a page made after the mark saved the keys it took over
        // from the open-addressing table, and the log below then clears the ones added after the mark.
        for (var i = 0; i < _savedCount; i++)
        {
            var page = _pages[_savedPages[i]]!;
            _savedBits.AsSpan(i * WordsPerPage, WordsPerPage).CopyTo(page.Present);
            _count += _savedCounts[i] - page.Count;
            page.Count = _savedCounts[i];
        }
        for (var i = 0; i < _farLogCount; i++)
            RemoveSparse(_farLog[i]);
        for (var i = 0; i < _windowLogCount; i++)
        {
            var offset = _windowLog[i];
            var chunk = _directory[(int)(offset >> ChunkShift)]!;
            var pageIndex = (int)(offset >> PageBits) & (PagesPerChunk - 1);
            var entry = chunk[pageIndex];
            if (entry > 0)
            {
                var page = _pages[entry - 1]!;
                var bit = (int)offset & PageMask;
                page.Present[bit >> 6] &= ~(1UL << bit);
                page.Count--;
                _count--;
            }
            else
            {
                RemoveSparse(_base + offset);
                chunk[pageIndex] = entry + 1;
            }
        }
        // A page left empty (its ids all came with the rolled-back file) gives its memory back.
        for (var i = 0; i < _savedCount; i++)
        {
            var slot = _savedPages[i];
            var page = _pages[slot]!;
            if (page.Count != 0)
                continue;
            _directory[(int)(page.Offset >> ChunkShift)]![(int)(page.Offset >> PageBits) & (PagesPerChunk - 1)] = 0;
            _pages[slot] = null;
            _freePages.Push(slot);
        }
        ResetUndo();
    }

    private void ResetUndo()
    {
        _windowLogCount = 0;
        _farLogCount = 0;
        _savedCount = 0;
        // Pages compare their epoch with this one to know whether they have saved their bitmap since the mark.
        _epoch++;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryAddDense(DensePage page, int bit, int value, out int existing)
    {
        ref var word = ref page.Present[bit >> 6];
        var mask = 1UL << bit;
        if ((word & mask) != 0)
        {
            existing = page.Values[bit];
            return false;
        }
        if (page.Epoch != _epoch)
            Save(page);
        existing = 0;
        word |= mask;
        page.Values[bit] = value;
        page.Count++;
        _count++;
        return true;
    }

    /// <summary>Moves a page's ids out of the open-addressing table into arrays of their own; returns the page's slot.</summary>
    private int Promote(long pageOffset)
    {
        var slot = _freePages.Count > 0 ? _freePages.Pop() : _pagesUsed++;
        if (slot == _pages.Length)
            Array.Resize(ref _pages, _pages.Length * 2);
        var page = new DensePage(slot, pageOffset);
        _pages[slot] = page;
        var first = _base + pageOffset;
        // The page has exactly DenseThreshold ids in the table; in ascending input they are its first ones.
        for (var i = 0; i < PageSize && page.Count < DenseThreshold; i++)
        {
            var index = FindSlot(first + i);
            if (index < 0)
                continue;
            page.Present[i >> 6] |= 1UL << i;
            page.Values[i] = _values[index];
            page.Count++;
            RemoveAt(index);
            _sparseCount--;
        }
        Save(page);
        // The page's keys at the end of the log (in ascending input, all it has) were added since the mark: the
        // saved bitmap leaves them out instead, so the log of a file of dense ids stays a page long.
        var saved = _savedCount - 1;
        while (_windowLogCount > 0 && (_windowLog[_windowLogCount - 1] & ~(uint)PageMask) == pageOffset)
        {
            var bit = (int)(_windowLog[--_windowLogCount] & PageMask);
            _savedBits[(saved * WordsPerPage) + (bit >> 6)] &= ~(1UL << bit);
            _savedCounts[saved]--;
        }
        return slot;
    }

    private void Save(DensePage page)
    {
        if (_savedCount == _savedPages.Length)
        {
            Array.Resize(ref _savedPages, _savedPages.Length * 2);
            Array.Resize(ref _savedCounts, _savedCounts.Length * 2);
            Array.Resize(ref _savedBits, _savedBits.Length * 2);
        }
        _savedPages[_savedCount] = page.Slot;
        _savedCounts[_savedCount] = page.Count;
        page.Present.CopyTo(_savedBits.AsSpan(_savedCount * WordsPerPage, WordsPerPage));
        _savedCount++;
        page.Epoch = _epoch;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool TryAddSparse(long number, int value, out int existing)
    {
        var keys = _keys;
        var index = Home(number, keys.Length);
        var stored = number + 1;
        while (true)
        {
            var key = keys[index];
            if (key == stored)
            {
                existing = _values[index];
                return false;
            }
            if (key == 0)
                break;
            if (++index == keys.Length)
                index = 0;
        }
        existing = 0;
        keys[index] = stored;
        _values[index] = value;
        _sparseCount++;
        _count++;
        if (_sparseCount > keys.Length / 4 * 3)
            Grow();
        return true;
    }

    private void RemoveSparse(long number)
    {
        RemoveAt(FindSlot(number));
        _sparseCount--;
        _count--;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int FindSlot(long number)
    {
        var keys = _keys;
        var index = Home(number, keys.Length);
        var stored = number + 1;
        while (true)
        {
            var key = keys[index];
            if (key == stored)
                return index;
            if (key == 0)
                return -1;
            if (++index == keys.Length)
                index = 0;
        }
    }

    /// <summary>Empties a slot and shifts later entries of the probe run back, so lookups never meet a hole.</summary>
    private void RemoveAt(int hole)
    {
        var keys = _keys;
        var next = hole;
        while (true)
        {
            keys[hole] = 0;
            while (true)
            {
                if (++next == keys.Length)
                    next = 0;
                if (keys[next] == 0)
                    return;
                var home = Home(keys[next] - 1, keys.Length);
                // The entry may fill the hole unless its home lies cyclically in (hole, next].
                var stays = hole <= next ? home > hole && home <= next : home > hole || home <= next;
                if (!stays)
                    break;
            }
            keys[hole] = keys[next];
            _values[hole] = _values[next];
            hole = next;
        }
    }

    /// <summary>Eight consecutive numbers share a group of slots; groups are spread over the table.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Home(long number, int capacity)
    {
        var mixed = ((ulong)number / GroupSize * 0x9E3779B97F4A7C15UL) >> 32;
        var group = (int)((mixed * (ulong)(capacity / GroupSize)) >> 32);
        return (group * GroupSize) + (int)((ulong)number % GroupSize);
    }

    /// <summary>Slots for this many keys at three quarters full, a multiple of the group size.</summary>
    private static int CapacityFor(long keys)
    {
        var slots = Math.Max(64, (keys * 4 / 3) + GroupSize);
        return (int)Math.Min(Array.MaxLength / GroupSize * GroupSize, (slots + GroupSize - 1) / GroupSize * GroupSize);
    }

    /// <summary>
    /// Doubles the open-addressing table, or, once it holds more keys than pages still filling up explain,
    /// sizes it for the keys still expected: one allocation instead of a rebuild at every doubling.
    /// </summary>
    private void Grow()
    {
        var capacity = _keys.Length * 2;
        if (_sparseCount >= ReserveFrom)
            capacity = Math.Max(capacity, CapacityFor(_reserved - (_count - _sparseCount)));
        var oldKeys = _keys;
        var oldValues = _values;
        _keys = new long[capacity];
        _values = new int[capacity];
        for (var i = 0; i < oldKeys.Length; i++)
        {
            var stored = oldKeys[i];
            if (stored == 0)
                continue;
            var index = Home(stored - 1, capacity);
            while (_keys[index] != 0)
            {
                if (++index == capacity)
                    index = 0;
            }
            _keys[index] = stored;
            _values[index] = oldValues[i];
        }
    }

    private sealed class DensePage(int slot, long offset)
    {
        public readonly int[] Values = new int[PageSize];
        public readonly ulong[] Present = new ulong[WordsPerPage];

        public int Slot { get; } = slot;

        /// <summary>The page's first id, relative to the window.</summary>
        public long Offset { get; } = offset;

        public int Count;

        /// <summary>The undo epoch in which the page last saved its bitmap.</summary>
        public int Epoch;
    }
}
