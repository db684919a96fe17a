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
/// Shop ids (plain integers, mostly ascending in a file) go to a <see cref="NumericKeyTable"/>, which pages
/// dense runs of them at about four bytes a key. Any other key (with letters, leading zeros, more than 18
/// digits) goes to a chained table over a byte arena.
/// </remarks>
internal sealed class KeyTable
{
    private readonly NumericKeyTable _numeric;
    private int _generation;

    // Other keys, chained, in insertion order (so a rollback truncates).
    private int[] _buckets = new int[256];   // 1-based index of the newest entry of each chain, 0 when empty
    private Entry[] _entries = new Entry[256];
    private int _entryCount;
    private byte[] _arena = new byte[4096];
    private int _arenaUsed;

    public KeyTable(int expectedKeys = 1024) => _numeric = new NumericKeyTable(expectedKeys);

    public int Count => _numeric.Count + _entryCount;

    public readonly record struct Checkpoint(int Generation, int EntryCount, int ArenaUsed);

    /// <summary>Marks the current content; only the latest mark can be rolled back to.</summary>
    public Checkpoint Mark()
    {
        _numeric.Mark();
        return new Checkpoint(++_generation, _entryCount, _arenaUsed);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool Contains(ReadOnlySpan<byte> key) =>
        TryNumeric(key, out var number) ? _numeric.Contains(number) : FindEntry(key, Hash(key)) >= 0;

    /// <summary>Adds the key unless present; returns false with the stored value when it is.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool TryAdd(ReadOnlySpan<byte> key, int value, out int existing)
    {
        if (TryNumeric(key, out var number))
            return _numeric.TryAdd(number, value, out existing);
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
        _numeric.Rollback();
        for (var i = _entryCount - 1; i >= checkpoint.EntryCount; i--)
        {
            var bucket = _entries[i].Hash & (_buckets.Length - 1);
            _buckets[bucket] = _entries[i].Next;
        }
        _entryCount = checkpoint.EntryCount;
        _arenaUsed = checkpoint.ArenaUsed;
    }

    /// <summary>Tells how many more keys are coming, so that scattered numeric keys get a table of the right size at once.</summary>
    public void Reserve(int additionalKeys) => _numeric.Reserve(additionalKeys);

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
        // The last 1-7 bytes in at most two reads (wyhash's way): with the length mixed in above, the reads
        // cover every byte, so two values of one length never feed the mix the same input; a loop per byte cost
        // more than the rest of the hash.
        if (data.Length >= 4)
            hash = Round(hash, BinaryPrimitives.ReadUInt32LittleEndian(data) | ((ulong)BinaryPrimitives.ReadUInt32LittleEndian(data[^4..]) << 32));
        else if (!data.IsEmpty)
            hash = Round(hash, data[0] | ((ulong)data[data.Length >> 1] << 8) | ((ulong)data[^1] << 16));
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
