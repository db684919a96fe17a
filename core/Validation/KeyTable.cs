using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace KpiPipeline.Validation;

/// <summary>
/// A set of UTF-8 keys, each with a 64-bit value (a hash of the row's content), stored without a string or
/// object per key: a batch holds millions of order item ids. Entries added since a checkpoint can be
/// rolled back, so the keys of a file that ends up quarantined stop counting for the batch.
/// </summary>
/// <remarks>
/// Random memory access dominates a million-key table, so shop ids (plain integers, mostly ascending in
/// a file) get a table of their own that keeps neighbouring numbers in neighbouring slots: eight
/// consecutive ids share a group, groups are spread by Fibonacci hashing, collisions probe linearly.
/// Any other key (with letters, leading zeros, more than 18 digits) goes to a chained table over a
/// byte arena.
/// </remarks>
internal sealed class KeyTable
{
    private const int GroupBits = 3;

    // Numeric keys, open addressing. Key is stored + 1 so that 0 marks an empty slot.
    private Slot[] _slots;
    private int _slotBits;
    private long[] _numericLog;     // numeric keys in insertion order: for growth and rollback
    private long[] _numericValues;  // their values, in the same order, so growth needs no lookups
    private int _numericCount;

    // Other keys, chained.
    private int[] _buckets = new int[256];   // 1-based index of the newest entry of each chain, 0 when empty
    private Entry[] _entries = new Entry[256];
    private int _entryCount;
    private byte[] _arena = new byte[4096];
    private int _arenaUsed;

    public KeyTable(int expectedKeys = 1024)
    {
        _slotBits = Math.Max(10, BitOperations.Log2((uint)Math.Clamp(expectedKeys, 1, 1 << 28)) + 2);
        _slots = new Slot[1 << _slotBits];
        _numericLog = new long[Math.Max(1024, expectedKeys)];
        _numericValues = new long[_numericLog.Length];
    }

    public int Count => _numericCount + _entryCount;

    public readonly record struct Checkpoint(int NumericCount, int EntryCount, int ArenaUsed);

    public Checkpoint Mark() => new(_numericCount, _entryCount, _arenaUsed);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool Contains(ReadOnlySpan<byte> key) =>
        TryNumeric(key, out var number) ? FindSlot(number) >= 0 : FindEntry(key, Hash(key)) >= 0;

    /// <summary>Adds the key unless present; returns false with the stored value when it is.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool TryAdd(ReadOnlySpan<byte> key, long value, out long existing)
    {
        if (TryNumeric(key, out var number))
            return TryAddNumeric(number, value, out existing);
        var hash = Hash(key);
        var found = FindEntry(key, hash);
        if (found >= 0)
        {
            existing = _entries[found].Value;
            return false;
        }
        existing = 0;
        if (_entryCount == _entries.Length)
            GrowEntries();
        if (_arena.Length - _arenaUsed < key.Length)
            Array.Resize(ref _arena, Math.Max(_arena.Length * 2, _arenaUsed + key.Length));
        key.CopyTo(_arena.AsSpan(_arenaUsed));
        var bucket = (int)hash & (_buckets.Length - 1);
        // New entries go to the head of their chain, which is what lets Rollback unlink them in reverse order.
        _entries[_entryCount] = new Entry((int)hash, _buckets[bucket], _arenaUsed, key.Length, value);
        _buckets[bucket] = _entryCount + 1;
        _arenaUsed += key.Length;
        _entryCount++;
        return true;
    }

    /// <summary>Forgets every key added after the checkpoint.</summary>
    public void Rollback(Checkpoint checkpoint)
    {
        // Removing linear-probing entries newest first restores exactly the table before they came.
        for (var i = _numericCount - 1; i >= checkpoint.NumericCount; i--)
            _slots[FindSlot(_numericLog[i])] = default;
        _numericCount = checkpoint.NumericCount;
        for (var i = _entryCount - 1; i >= checkpoint.EntryCount; i--)
        {
            var bucket = _entries[i].Hash & (_buckets.Length - 1);
            _buckets[bucket] = _entries[i].Next;
        }
        _entryCount = checkpoint.EntryCount;
        _arenaUsed = checkpoint.ArenaUsed;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool TryAddNumeric(long number, long value, out long existing)
    {
        var mask = _slots.Length - 1;
        var index = Home(number, _slotBits);
        var stored = number + 1;
        while (true)
        {
            ref var slot = ref _slots[index];
            if (slot.Key == stored)
            {
                existing = slot.Value;
                return false;
            }
            if (slot.Key == 0)
                break;
            index = (index + 1) & mask;
        }
        existing = 0;
        _slots[index] = new Slot(stored, value);
        if (_numericCount == _numericLog.Length)
        {
            Array.Resize(ref _numericLog, _numericLog.Length * 2);
            Array.Resize(ref _numericValues, _numericLog.Length);
        }
        _numericLog[_numericCount] = number;
        _numericValues[_numericCount++] = value;
        if (_numericCount * 2 > _slots.Length)
            GrowSlots();
        return true;
    }

    private int FindSlot(long number) => FindSlot(_slots, _slotBits, number);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int FindSlot(Slot[] slots, int bits, long number)
    {
        var mask = slots.Length - 1;
        var index = Home(number, bits);
        var stored = number + 1;
        while (true)
        {
            var key = slots[index].Key;
            if (key == stored)
                return index;
            if (key == 0)
                return -1;
            index = (index + 1) & mask;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Home(long number, int bits)
    {
        var group = (ulong)number >> GroupBits;
        var spread = (int)((group * 0x9E3779B97F4A7C15UL) >> (64 - (bits - GroupBits)));
        return (spread << GroupBits) | (int)(number & ((1 << GroupBits) - 1));
    }

    /// <summary>Makes room for this many more keys at once, so a large file does not rebuild the table at every doubling.</summary>
    public void Reserve(int additionalKeys)
    {
        var wanted = (long)_numericCount + Math.Max(0, additionalKeys);
        if (wanted * 2 <= _slots.Length)
            return;
        var bits = Math.Min(30, BitOperations.Log2((ulong)wanted) + 2);
        if (_numericLog.Length < wanted)
        {
            Array.Resize(ref _numericLog, (int)Math.Min(wanted, Array.MaxLength));
            Array.Resize(ref _numericValues, _numericLog.Length);
        }
        Rebuild(bits);
    }

    private void GrowSlots() => Rebuild(_slotBits + 1);

    private void Rebuild(int bits)
    {
        _slotBits = bits;
        _slots = new Slot[1 << _slotBits];
        var mask = _slots.Length - 1;
        // Re-insert in insertion order, so the table is what inserting the keys one by one would give.
        for (var i = 0; i < _numericCount; i++)
        {
            var number = _numericLog[i];
            var index = Home(number, _slotBits);
            while (_slots[index].Key != 0)
                index = (index + 1) & mask;
            _slots[index] = new Slot(number + 1, _numericValues[i]);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int FindEntry(ReadOnlySpan<byte> key, ulong hash)
    {
        var index = _buckets[(int)hash & (_buckets.Length - 1)] - 1;
        while (index >= 0)
        {
            ref var entry = ref _entries[index];
            if (entry.Hash == (int)hash && _arena.AsSpan(entry.Offset, entry.Length).SequenceEqual(key))
                return index;
            index = entry.Next - 1;
        }
        return -1;
    }

    private void GrowEntries()
    {
        Array.Resize(ref _entries, _entries.Length * 2);
        _buckets = new int[_entries.Length];
        // Re-insert oldest first so the newest entry is again the head of every chain.
        for (var i = 0; i < _entryCount; i++)
        {
            var bucket = _entries[i].Hash & (_buckets.Length - 1);
            _entries[i] = _entries[i] with { Next = _buckets[bucket] };
            _buckets[bucket] = i + 1;
        }
    }

    /// <summary>A canonical non-negative integer of at most 18 digits ("7", not "007" or "+7", which stay distinct keys).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool TryNumeric(ReadOnlySpan<byte> key, out long number)
    {
        number = 0;
        if (key.IsEmpty || key.Length > 18 || (key[0] == (byte)'0' && key.Length > 1))
            return false;
        foreach (var b in key)
        {
            var digit = (uint)(b - '0');
            if (digit > 9)
                return false;
            number = (number * 10) + digit;
        }
        return true;
    }

    private static ulong Hash(ReadOnlySpan<byte> key) => KeyHash.Of(key, 0x2545F4914F6CDD1DUL);

    private readonly record struct Slot(long Key, long Value);

    private readonly record struct Entry(int Hash, int Next, int Offset, int Length, long Value);
}

/// <summary>A fast 64-bit hash of short byte strings (keys and field values); chained over fields for a row's content.</summary>
internal static class KeyHash
{
    private const ulong Prime1 = 0x9E3779B185EBCA87UL;
    private const ulong Prime2 = 0xC2B2AE3D27D4EB4FUL;

    public static ulong Of(ReadOnlySpan<byte> data, ulong seed) => Finish(Append(seed, data));

    /// <summary>Mixes one more value into a running state; call <see cref="Finish"/> once at the end.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static ulong Append(ulong state, ReadOnlySpan<byte> data)
    {
        var hash = state ^ ((ulong)(data.Length + 1) * Prime1);
        while (data.Length >= 8)
        {
            hash = Round(hash, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[8..];
        }
        if (!data.IsEmpty)
        {
            ulong tail = 0;
            for (var i = data.Length - 1; i >= 0; i--)
                tail = (tail << 8) | data[i];
            hash = Round(hash, tail);
        }
        return hash;
    }

    /// <summary>Final avalanche (xxHash64's), so that low bits depend on every input bit.</summary>
    public static ulong Finish(ulong hash)
    {
        hash ^= hash >> 33;
        hash *= Prime2;
        hash ^= hash >> 29;
        hash *= Prime1;
        hash ^= hash >> 32;
        return hash;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Round(ulong hash, ulong input) => BitOperations.RotateLeft(hash ^ (input * Prime2), 31) * Prime1;
}
