using System.Net;
using System.Runtime.CompilerServices;
using Amazon.S3;
using Amazon.S3.Model;
using Amazon.S3.Transfer;

namespace KpiPipeline.Lake;

/// <summary>
/// The lake in an S3 bucket (AWSSDK.S3), configured the standard AWS way (see <see cref="AwsClients"/>). Keys
/// are checked as <see cref="ObjectKeys"/> says, like the local store's, so a name works in both or in neither.
/// A missing bucket or denied access is an <see cref="ObjectStoreUnavailableException"/> naming the bucket.
/// </summary>
public sealed class S3ObjectStore(IAmazonS3 s3, string bucket) : IObjectStore
{
    private const string NoSuchBucket = "NoSuchBucket";
    private bool _bucketSeen;

    public string Bucket => bucket;

    private IAmazonS3 Client => s3;

    public string Describe(string key) => $"s3://{bucket}/{key}";

    public async IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var request = new ListObjectsV2Request { BucketName = bucket, Prefix = prefix };
        do
        {
            var response = await ListPageAsync(request, cancellationToken).ConfigureAwait(false);
            foreach (var item in response.S3Objects ?? [])
                yield return new ObjectInfo(item.Key, item.Size ?? 0) { Stamp = $"{item.ETag}@{item.LastModified?.ToUniversalTime().ToString("O", System.Globalization.CultureInfo.InvariantCulture)}" };
            request.ContinuationToken = response.NextContinuationToken;
        }
        while (!string.IsNullOrEmpty(request.ContinuationToken));
    }

    public async Task<bool> ExistsAsync(string key, CancellationToken cancellationToken)
    {
        ObjectKeys.Validate(key);
        try
        {
            await s3.GetObjectMetadataAsync(bucket, key, cancellationToken).ConfigureAwait(false);
            _bucketSeen = true;
            return true;
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            // A HEAD response has no body to tell a missing object from a missing bucket: ask about the bucket once.
            await EnsureBucketAsync(cancellationToken).ConfigureAwait(false);
            return false;
        }
        catch (AmazonS3Exception e) when (Unavailable(e, key) is { } unavailable)
        {
            throw unavailable;
        }
    }

    public async Task<Stream> OpenReadAsync(string key, CancellationToken cancellationToken)
    {
        ObjectKeys.Validate(key);
        try
        {
            var response = await s3.GetObjectAsync(bucket, key, cancellationToken).ConfigureAwait(false);
            return new ResponseStream(s3, bucket, key, response);
        }
        catch (AmazonS3Exception e) when (Unavailable(e, key) is { } unavailable)
        {
            throw unavailable;
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            throw new ObjectNotFoundException(Describe(key));
        }
    }

    public Task<IObjectWriter> CreateAsync(string key, CancellationToken cancellationToken)
    {
        ObjectKeys.Validate(key);
        return Task.FromResult<IObjectWriter>(new S3ObjectWriter(this, key));
    }

    public async Task PutAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        ObjectKeys.Validate(key);
        using var body = new MemoryStream(content.ToArray(), writable: false);
        try
        {
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = key, InputStream = body }, cancellationToken)
                .ConfigureAwait(false);
        }
        catch (AmazonS3Exception e) when (Unavailable(e, key) is { } unavailable)
        {
            throw unavailable;
        }
    }

    public async Task<bool> MoveAsync(string sourceKey, string destinationKey, CancellationToken cancellationToken)
    {
        // Copy first, delete second: a crash in between leaves two copies, which the next attempt
        // resolves; it never leaves none.
        try
        {
            await CopyAsync(sourceKey, destinationKey, cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound || e.ErrorCode == "NoSuchKey")
        {
            if (await ExistsAsync(destinationKey, cancellationToken).ConfigureAwait(false))
                return false;
            throw new ObjectNotFoundException(Describe(sourceKey));
        }
        await DeleteAsync(sourceKey, cancellationToken).ConfigureAwait(false);
        return true;
    }

    public async Task CopyAsync(string sourceKey, string destinationKey, CancellationToken cancellationToken)
    {
        ObjectKeys.Validate(sourceKey);
        ObjectKeys.Validate(destinationKey);
        try
        {
            await s3.CopyObjectAsync(new CopyObjectRequest
            {
                SourceBucket = bucket,
                SourceKey = sourceKey,
                DestinationBucket = bucket,
                DestinationKey = destinationKey,
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonS3Exception e) when (Unavailable(e, sourceKey) is { } unavailable)
        {
            throw unavailable;
        }
    }

    public async Task DeleteAsync(string key, CancellationToken cancellationToken)
    {
        ObjectKeys.Validate(key);
        try
        {
            await s3.DeleteObjectAsync(bucket, key, cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonS3Exception e) when (Unavailable(e, key) is { } unavailable)
        {
            throw unavailable;
        }
    }

    private async Task<ListObjectsV2Response> ListPageAsync(ListObjectsV2Request request, CancellationToken cancellationToken)
    {
        try
        {
            var response = await s3.ListObjectsV2Async(request, cancellationToken).ConfigureAwait(false);
            _bucketSeen = true;
            return response;
        }
        catch (AmazonS3Exception e) when (Unavailable(e, request.Prefix) is { } unavailable)
        {
            throw unavailable;
        }
    }

    /// <summary>Throws when the bucket does not exist (asked once per store: afterwards a 404 is a missing object).</summary>
    private async Task EnsureBucketAsync(CancellationToken cancellationToken)
    {
        if (_bucketSeen)
            return;
        await ListPageAsync(new ListObjectsV2Request { BucketName = bucket, MaxKeys = 1 }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The bucket-level failure an S3 error means, naming the bucket; null for an error about one object.</summary>
    private ObjectStoreUnavailableException? Unavailable(AmazonS3Exception e, string? key) => e switch
    {
        { ErrorCode: NoSuchBucket } => new ObjectStoreUnavailableException($"S3 bucket '{bucket}' does not exist (S3 said {e.ErrorCode}: {e.Message}); deploy the stack, or create it with kpi-job init --bucket {bucket}", e),
        { StatusCode: HttpStatusCode.Forbidden } => new ObjectStoreUnavailableException(
            $"access to s3://{bucket}/{key} is denied (S3 said {e.ErrorCode}: {e.Message}); check the bucket name and the credentials' permissions", e),
        _ => null,
    };

    /// <summary>
    /// Keeps the GetObject response alive as long as its body is being read, and resumes a body cut off in the middle
    /// (the SDK retries a request, not a body already handed over) with a ranged GET of the same version (ETag).
    /// </summary>
    private sealed class ResponseStream(IAmazonS3 s3, string bucket, string key, GetObjectResponse first) : Stream
    {
        private const int MaxResumes = 3;

        private readonly long _length = first.ContentLength;
        private readonly string _etag = first.ETag;
        private GetObjectResponse _response = first;
        private long _position;
        private int _resumes;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => _length;
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            while (true)
            {
                try
                {
                    var read = await _response.ResponseStream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
                    if (read == 0 && _position < _length && !buffer.IsEmpty)
                        throw new IOException($"{key}: the body ended after {_position} of {_length} bytes");
                    _position += read;
                    return read;
                }
                catch (IOException) when (_resumes < MaxResumes && _position < _length && !string.IsNullOrEmpty(_etag) && !cancellationToken.IsCancellationRequested)
                {
                    // Only a response that said which version it was (its ETag) can be resumed, and only from a part
                    // of that version whose total length is the one first announced.
                    _resumes++;
                    var rest = await s3.GetObjectAsync(new GetObjectRequest
                    {
                        BucketName = bucket,
                        Key = key,
                        ByteRange = new ByteRange(_position, _length - 1),
                        EtagToMatch = _etag,
                    }, cancellationToken).ConfigureAwait(false);
                    if (rest.ContentRange?.EndsWith(FormattableString.Invariant($"/{_length}"), StringComparison.Ordinal) != true)
                    {
                        rest.Dispose();
                        throw new IOException($"{key}: resuming the read at byte {_position} got '{rest.ContentRange}', not a part of the {_length} bytes first announced");
                    }
                    _response.Dispose();
                    _response = rest;
                }
            }
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
                _response.Dispose();
            base.Dispose(disposing);
        }
    }

    /// <summary>Spools to a temporary file, then uploads (multipart for large objects): memory stays flat.</summary>
    private sealed class S3ObjectWriter : IObjectWriter
    {
        private readonly S3ObjectStore _store;
        private readonly IAmazonS3 _s3;
        private readonly string _bucket;
        private readonly string _key;
        private readonly string _spoolPath = Path.Combine(Path.GetTempPath(), $"kpi-pipeline-{Guid.NewGuid():N}.spool");
        private readonly FileStream _spool;

        public S3ObjectWriter(S3ObjectStore store, string key)
        {
            _store = store;
            _s3 = store.Client;
            _bucket = store.Bucket;
            _key = key;
            _spool = new FileStream(_spoolPath, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.DeleteOnClose | FileOptions.Asynchronous);
        }

        public Stream Stream => _spool;

        public async Task CommitAsync(CancellationToken cancellationToken)
        {
            await _spool.FlushAsync(cancellationToken).ConfigureAwait(false);
            _spool.Position = 0;
            using var transfer = new TransferUtility(_s3);
            try
            {
                await transfer.UploadAsync(new TransferUtilityUploadRequest
                {
                    BucketName = _bucket,
                    Key = _key,
                    InputStream = _spool,
                    AutoCloseStream = false,
                }, cancellationToken).ConfigureAwait(false);
            }
            catch (AmazonS3Exception e) when (_store.Unavailable(e, _key) is { } unavailable)
            {
                throw unavailable;
            }
        }

        public ValueTask DisposeAsync() => _spool.DisposeAsync();
    }
}
