using System.Buffers.Text;
using System.Text;
using KpiPipeline.Curated;
using KpiPipeline.Kpis;
using KpiPipeline.Validation;

namespace KpiPipeline.Transform;

/// <summary>
/// The batch's orders by id, compactly: numeric ids in a <see cref="NumericKeyTable"/> (pages of consecutive ids,
/// about 4 bytes an id, and lookups of ascending ids touching memory in order), other ids in a dictionary,
/// and per order its created_at, its return flag and its user id (a number, or a reference to the user's bytes
/// when the id is not a canonical number) in chunked arrays, so millions of orders cost about 21 bytes each, no
/// object per order, and no array is copied to grow.
/// </summary>
internal sealed class OrderTable
{
    private const int ChunkBits = 16;
    private const int ChunkSize = 1 << ChunkBits;
    private const int ChunkMask = ChunkSize - 1;

    private readonly NumericKeyTable _numbers = new(expectedSparseKeys: 1024);
    private readonly Dictionary<string, int> _texts = new(StringComparer.Ordinal);
    private readonly List<Chunk> _chunks = [];
    private readonly Utf8Column _textUsers = new(64, 8);
    private readonly byte[] _lastUserDigits = new byte[20];
    private long _lastUser = -1;
    private int _lastUserLength;

    public int Count { get; private set; }

    /// <summary>Adds or (a later file repeating an order) replaces an order.</summary>
    public void Set(ReadOnlySpan<byte> orderId, ReadOnlySpan<byte> userId, long createdAtMicros, bool returned)
    {
        var index = Count;
        var existing = DistinctSet.TryNumber(orderId, out var number)
            ? (_numbers.TryAdd(number, index, out var stored) ? -1 : stored)
            : GetOrAddText(Encoding.UTF8.GetString(orderId), index);
        if (existing >= 0)
        {
            index = existing;
        }
        else
        {
            if ((index & ChunkMask) == 0)
            {
                _chunks.Add(new Chunk());
                // Nothing is ever rolled back here: marking keeps the table's undo log from growing with scattered ids.
                _numbers.Mark();
            }
            Count++;
        }
        var chunk = _chunks[index >> ChunkBits];
        var at = index & ChunkMask;
        chunk.CreatedAt[at] = createdAtMicros;
        chunk.Returned[at] = returned;
        if (DistinctSet.TryNumber(userId, out var user))
        {
            chunk.Users[at] = user;
        }
        else
        {
            // A replaced order's text user is appended again: ids repeat only across files, so this stays rare.
            chunk.Users[at] = ~(long)_textUsers.Count;
            _textUsers.Add(userId);
        }
    }

    /// <returns>The order's index, or -1 when the batch has no such order.</returns>
    public int Find(ReadOnlySpan<byte> orderId) => Find(orderId, out _);

    /// <param name="number">The id as a number, or <see cref="OrderLineBlock.JoinKeys.Text"/> when it is not one.</param>
    /// <returns>The order's index, or -1 when the batch has no such order.</returns>
    public int Find(ReadOnlySpan<byte> orderId, out long number)
    {
        if (DistinctSet.TryNumber(orderId, out number))
            return _numbers.TryGetValue(number, out var index) ? index : -1;
        number = OrderLineBlock.JoinKeys.Text;
        Span<char> small = stackalloc char[128];
        var chars = orderId.Length <= small.Length ? small : new char[orderId.Length];
        var text = chars[..Encoding.UTF8.GetChars(orderId, chars)];
        return _texts.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(text, out var found) ? found : -1;
    }

    public long CreatedAt(int index) => _chunks[index >> ChunkBits].CreatedAt[index & ChunkMask];

    public bool Returned(int index) => _chunks[index >> ChunkBits].Returned[index & ChunkMask];

    /// <summary>The order's user id as a number, or <see cref="OrderLineBlock.JoinKeys.Text"/> when it is not one.</summary>
    public long UserNumber(int index) => _chunks[index >> ChunkBits].Users[index & ChunkMask] is var user and >= 0 ? user : OrderLineBlock.JoinKeys.Text;

    /// <summary>Appends the order's user id, as the bytes the orders file had, to <paramref name="column"/>.</summary>
    public void CopyUserId(int index, Utf8Column column)
    {
        var user = _chunks[index >> ChunkBits].Users[index & ChunkMask];
        if (user < 0)
        {
            column.Add(_textUsers[(int)~user]);
            return;
        }
        // An order's lines come together: its user's digits are formatted once.
        if (user != _lastUser)
        {
            Utf8Formatter.TryFormat(user, _lastUserDigits, out _lastUserLength);
            _lastUser = user;
        }
        column.Add(_lastUserDigits.AsSpan(0, _lastUserLength));
    }

    private int GetOrAddText(string orderId, int index)
    {
        if (_texts.TryGetValue(orderId, out var existing))
            return existing;
        _texts.Add(orderId, index);
        return -1;
    }

    private sealed class Chunk
    {
        public long[] CreatedAt { get; } = new long[ChunkSize];

        /// <summary>A canonical numeric user id, or the complement of its index among the text user ids.</summary>
        public long[] Users { get; } = new long[ChunkSize];

        public bool[] Returned { get; } = new bool[ChunkSize];
    }
}
