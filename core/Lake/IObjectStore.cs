namespace KpiPipeline.Lake;

public sealed record ObjectInfo(string Key, long Size)
{
    /// <summary>
    /// Tells this upload of the key from another (S3: ETag and last-modified time; a local file: its modification
    /// time); null when the store does not say. The local run uses it as the S3 event's sequencer.
    /// </summary>
    public string? Stamp { get; init; }
}

/// <summary>
/// The bucket, whether a local folder or S3. Keys use '/' on every platform. Writes are all-or-nothing:
/// readers never see a half-written object.
/// </summary>
public interface IObjectStore
{
    /// <summary>A human-readable location for messages: <c>s3://bucket/key</c> or a file path.</summary>
    string Describe(string key);

    /// <summary>Every object whose key starts with <paramref name="prefix"/>, in key order.</summary>
    IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, CancellationToken cancellationToken);

    Task<bool> ExistsAsync(string key, CancellationToken cancellationToken);

    /// <exception cref="ObjectNotFoundException">No object has the key.</exception>
    Task<Stream> OpenReadAsync(string key, CancellationToken cancellationToken);

    /// <summary>Starts writing an object; nothing is visible until <see cref="IObjectWriter.CommitAsync"/>.</summary>
    Task<IObjectWriter> CreateAsync(string key, CancellationToken cancellationToken);

    Task PutAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken);

    /// <summary>
    /// Moves an object. Idempotent: when the source is gone and the destination exists the move already
    /// happened and this returns false; a concurrent or retried move never loses or duplicates the object.
    /// </summary>
    /// <returns>True when this call moved the object.</returns>
    /// <exception cref="ObjectNotFoundException">Neither the source nor the destination exists.</exception>
    Task<bool> MoveAsync(string sourceKey, string destinationKey, CancellationToken cancellationToken);

    /// <summary>Copies an object (overwriting the destination).</summary>
    Task CopyAsync(string sourceKey, string destinationKey, CancellationToken cancellationToken);

    /// <summary>Deletes an object; deleting a missing object is not an error.</summary>
    Task DeleteAsync(string key, CancellationToken cancellationToken);
}

/// <summary>An object being written. Disposing without committing discards it.</summary>
public interface IObjectWriter : IAsyncDisposable
{
    Stream Stream { get; }

    Task CommitAsync(CancellationToken cancellationToken);
}

public sealed class ObjectNotFoundException : Exception
{
    public ObjectNotFoundException(string location)
        : base($"{location} does not exist.")
    {
        Location = location;
    }

    /// <param name="reason">Why what is at the location is no object (a symbolic link, a FIFO in a local lake).</param>
    public ObjectNotFoundException(string location, string reason)
        : base($"{location} is not an object: {reason}.")
    {
        Location = location;
    }

    public string Location { get; }
}

/// <summary>
/// The store itself cannot be used — its bucket does not exist, access is denied — rather than one object
/// missing: an infrastructure failure, which names the bucket.
/// </summary>
public sealed class ObjectStoreUnavailableException(string message, Exception? innerException = null)
    : IOException(message, innerException);
