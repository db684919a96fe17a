namespace KpiPipeline.Validation;

/// <summary>
/// A set of UTF-8 keys, each with a 64-bit value (a hash of the row's content), stored without a string or
/// object per key: a batch holds millions of order item ids. Entries added since a checkpoint can be
/// rolled back, so the keys of a file that ends up quarantined stop counting for the batch.
/// </summary>
internal sealed class KeyTable
{
    private int[] _buckets = new int[1024];   // 1-based index of the newest entry of each chain, 0 when empty
    private Entry[] _entries = new Entry[1024];
    private byte[] _arena = new byte[16 * 1024];
    private int _arenaUsed;

    public int Count { get; private set; }

    public readonly record struct Checkpoint(int Count, int ArenaUsed);

    public Checkpoint Mark() => new(Count, _arenaUsed);

    public bool Contains(ReadOnlySpan<byte> key) => Find(key, Hash(key)) >= 0;

    /// <summary>Adds the key unless present; returns false with the stored value when it is.</summary>
    public bool TryAdd(ReadOnlySpan<byte> key, long value, out long existing)
    {
        var hash = Hash(key);
        var found = Find(key, hash);
        if (found >= 0)
        {
            existing = _entries[found].Value;
            return false;
        }
        existing = 0;
        if (Count == _entries.Length)
            Grow();
        if (_arena.Length - _arenaUsed < key.Length)
            Array.Resize(ref _arena, Math.Max(_arena.Length * 2, _arenaUsed + key.Length));
        key.CopyTo(_arena.AsSpan(_arenaUsed));
        var bucket = hash & (_buckets.Length - 1);
        // New entries go to the head of their chain, which is what lets Rollback unlink them in reverse order.
        _entries[Count] = new Entry(hash, _buckets[bucket], _arenaUsed, key.Length, value);
        _buckets[bucket] = Count + 1;
        _arenaUsed += key.Length;
        Count++;
        return true;
    }

    /// <summary>Forgets every key added after the checkpoint.</summary>
    public void Rollback(Checkpoint checkpoint)
    {
        for (var i = Count - 1; i >= checkpoint.Count; i--)
        {
            var bucket = _entries[i].Hash & (_buckets.Length - 1);
            _buckets[bucket] = _entries[i].Next;
        }
        Count = checkpoint.Count;
        _arenaUsed = checkpoint.ArenaUsed;
    }

    private int Find(ReadOnlySpan<byte> key, int hash)
    {
        var index = _buckets[hash & (_buckets.Length - 1)] - 1;
        while (index >= 0)
        {
            ref var entry = ref _entries[index];
            if (entry.Hash == hash && _arena.AsSpan(entry.Offset, entry.Length).SequenceEqual(key))
                return index;
            index = entry.Next - 1;
        }
        return -1;
    }

    private void Grow()
    {
        Array.Resize(ref _entries, _entries.Length * 2);
        _buckets = new int[_entries.Length];
        // Re-insert oldest first so the newest entry is again the head of every chain.
        for (var i = 0; i < Count; i++)
        {
            var bucket = _entries[i].Hash & (_buckets.Length - 1);
            _entries[i] = _entries[i] with { Next = _buckets[bucket] };
            _buckets[bucket] = i + 1;
        }
    }

    private static int Hash(ReadOnlySpan<byte> key)
    {
        var hash = default(HashCode);
        hash.AddBytes(key);
        return hash.ToHashCode() & int.MaxValue;
    }

    private readonly record struct Entry(int Hash, int Next, int Offset, int Length, long Value);
}
