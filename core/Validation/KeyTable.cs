using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace KpiPipeline.Validation;

/// <summary>
/// A set of UTF-8 keys, each with a 32-bit value (a hash of the row's content), stored without a string or
/// object per key: a batch holds millions of order item ids. Keys added since the latest mark can be
/// rolled back, so the keys of a file that ends up quarantined stop counting for the batch.
/// </summary>
/// <remarks>
/// Random memory access and memory size dominate a ten-million-key table, so shop ids (plain integers,
/// mostly ascending in a file) get a table of their own: 12 bytes a slot, at most three quarters full;
/// neighbouring numbers share a group of eight consecutive slots (one or two cache lines), groups are
/// spread by Fibonacci hashing, collisions probe linearly, and removal shifts back (no tombstones). Any
/// other key (with letters, leading zeros, more than 18 digits) goes to a chained table over a byte arena.
/// </remarks>
internal sealed class KeyTable
{
    private const int GroupSize = 8;

    // Numeric keys, open addressing. A key is stored + 1 so that 0 marks an empty slot.
    private long[] _keys;
    private int[] _values;
    private int _numericCount;
    private long[] _log = new long[1024];   // numeric keys added since the latest mark, for rollback
    private int _logCount;
    private int _generation;

    // Other keys, chained, in insertion order (so a rollback truncates).
    private int[] _buckets = new int[256];   // 1-based index of the newest entry of each chain, 0 when empty
    private Entry[] _entries = new Entry[256];
    private int _entryCount;
    private byte[] _arena = new byte[4096];
    private int _arenaUsed;

    public KeyTable(int expectedKeys = 1024)
    {
        var capacity = CapacityFor(Math.Max(expectedKeys, 64));
        _keys = new long[capacity];
        _values = new int[capacity];
    }

    public int Count => _numericCount + _entryCount;

    public readonly record struct Checkpoint(int Generation, int EntryCount, int ArenaUsed);

    /// <summary>Marks the current content; only the latest mark can be rolled back to.</summary>
    public Checkpoint Mark()
    {
        _logCount = 0;
        return new Checkpoint(++_generation, _entryCount, _arenaUsed);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool Contains(ReadOnlySpan<byte> key) =>
        TryNumeric(key, out var number) ? FindSlot(number) >= 0 : FindEntry(key, Hash(key)) >= 0;

    /// <summary>Adds the key unless present; returns false with the stored value when it is.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool TryAdd(ReadOnlySpan<byte> key, int value, out int existing)
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

    /// <summary>Forgets every key added since the checkpoint, which must be the latest mark.</summary>
    public void Rollback(Checkpoint checkpoint)
    {
        if (checkpoint.Generation != _generation)
            throw new InvalidOperationException("Only the latest mark of a key table can be rolled back to.");
        for (var i = 0; i < _logCount; i++)
            RemoveAt(FindSlot(_log[i]));
        _numericCount -= _logCount;
        _logCount = 0;
        for (var i = _entryCount - 1; i >= checkpoint.EntryCount; i--)
        {
            var bucket = _entries[i].Hash & (_buckets.Length - 1);
            _buckets[bucket] = _entries[i].Next;
        }
        _entryCount = checkpoint.EntryCount;
        _arenaUsed = checkpoint.ArenaUsed;
    }

    /// <summary>Makes room for this many more keys at once, so a large file does not rebuild the table at every doubling.</summary>
    public void Reserve(int additionalKeys)
    {
        var capacity = CapacityFor((long)_numericCount + Math.Max(0, additionalKeys));
        if (capacity > _keys.Length)
            Rebuild(capacity);
    }

    /// <summary>Sizes the rollback log for the keys one file is expected to add, so it is not regrown by doubling.</summary>
    public void ReserveLog(int keys)
    {
        if (keys > _log.Length)
            Array.Resize(ref _log, keys);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool TryAddNumeric(long number, int value, out int existing)
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
        _numericCount++;
        if (_logCount == _log.Length)
            Array.Resize(ref _log, _log.Length * 2);
        _log[_logCount++] = number;
        if (_numericCount > keys.Length / 4 * 3)
            Rebuild(keys.Length * 2);
        return true;
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

    private void Rebuild(int capacity)
    {
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

    private readonly record struct Entry(int Hash, int Next, int Offset, int Length, int Value);
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
