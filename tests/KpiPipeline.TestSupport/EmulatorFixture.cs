using System.Diagnostics;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using KpiPipeline.Stores;
using Xunit;

namespace KpiPipeline.Testing;

/// <summary>
/// Local AWS for tests: fauxqs (S3, SNS, SQS) and dynalite (DynamoDB) as child Node 22 processes on
/// OS-chosen 127.0.0.1 ports. While it lives, the process's AWS environment points at them, so
/// production code using default SDK constructors reaches the emulators. Share one per test
/// assembly through a collection fixture named <see cref="CollectionName"/> (see tests/README.md);
/// tests keep apart by creating their resources under <see cref="NewName"/>.
/// </summary>
public sealed class EmulatorFixture : IAsyncLifetime
{
    /// <summary>The xunit collection every test project declares for this fixture.</summary>
    public const string CollectionName = "emulators";

    public const string Region = "us-east-1";

    /// <summary>Dummy credentials: the emulators accept any.</summary>
    public const string AccessKeyId = "test";

    public const string SecretAccessKey = "test";

    private static readonly TimeSpan StartupTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan TableActiveTimeout = TimeSpan.FromSeconds(30);

    private readonly string _runId = Guid.NewGuid().ToString("N")[..8];
    private readonly Dictionary<string, string?> _previousEnvironment = [];
    // Loopback only: never through an HTTP(S)_PROXY the machine may define.
    private readonly HttpClient _http = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(60) };
    private EmulatorProcess? _fauxqs;
    private EmulatorProcess? _dynalite;
    private SnsSqsClient? _messaging;
    private int _nameCounter;

    /// <summary>fauxqs's endpoint: S3 (path-style), SNS and SQS.</summary>
    public Uri FauxqsUrl => Started(_fauxqs).ServiceUrl;

    /// <summary>dynalite's endpoint.</summary>
    public Uri DynamoDbUrl => Started(_dynalite).ServiceUrl;

    /// <summary>
    /// The AWS variables this fixture sets process-wide (<c>AWS_REGION</c>, dummy credentials,
    /// <c>AWS_ENDPOINT_URL_S3</c>, <c>_DYNAMODB</c>, <c>_SNS</c>, <c>_SQS</c>); pass them to child processes.
    /// </summary>
    public IReadOnlyDictionary<string, string> Environment { get; private set; } = new Dictionary<string, string>();

    /// <summary>SNS topics and SQS queues on fauxqs.</summary>
    public SnsSqsClient Messaging => _messaging ?? throw NotStarted();

    public async Task InitializeAsync()
    {
        using var startup = new CancellationTokenSource(StartupTimeout * 2);
        var tools = NodeTools.Default;
        var fauxqs = EmulatorProcess.StartAsync(
            "fauxqs", tools.CreateStartInfo(tools.FauxqsLauncher, []), IsFauxqsHealthyAsync, StartupTimeout, startup.Token);
        var dynalite = EmulatorProcess.StartAsync(
            "dynalite", tools.CreateStartInfo(tools.DynaliteLauncher, []), IsDynaliteHealthyAsync, StartupTimeout, startup.Token);
        try
        {
            await Task.WhenAll(fauxqs, dynalite);
        }
        catch
        {
            // Reports the first failure; whichever emulator did start must not be left running.
            foreach (var started in new[] { fauxqs, dynalite }.Where(t => t.IsCompletedSuccessfully))
            {
                await started.Result.DisposeAsync();
            }

            throw;
        }

        _fauxqs = await fauxqs;
        _dynalite = await dynalite;
        _messaging = new SnsSqsClient(_http, FauxqsUrl);
        var fauxqsUrl = FauxqsUrl.ToString().TrimEnd('/');
        Environment = new Dictionary<string, string>
        {
            ["AWS_REGION"] = Region,
            ["AWS_ACCESS_KEY_ID"] = AccessKeyId,
            ["AWS_SECRET_ACCESS_KEY"] = SecretAccessKey,
            ["AWS_ENDPOINT_URL_S3"] = fauxqsUrl,
            ["AWS_ENDPOINT_URL_DYNAMODB"] = DynamoDbUrl.ToString().TrimEnd('/'),
            ["AWS_ENDPOINT_URL_SNS"] = fauxqsUrl,
            ["AWS_ENDPOINT_URL_SQS"] = fauxqsUrl,
        };
        foreach (var (name, value) in Environment)
        {
            _previousEnvironment[name] = System.Environment.GetEnvironmentVariable(name);
            System.Environment.SetEnvironmentVariable(name, value);
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var (name, value) in _previousEnvironment)
        {
            System.Environment.SetEnvironmentVariable(name, value);
        }

        if (_fauxqs is not null)
        {
            await _fauxqs.DisposeAsync();
        }

        if (_dynalite is not null)
        {
            await _dynalite.DisposeAsync();
        }

        _http.Dispose();
    }

    /// <summary>
    /// A name no other test of this fixture gets: <c>{prefix}-{run}-{n}</c>, lowercase, valid for
    /// buckets, tables, topics and queues.
    /// </summary>
    /// <param name="prefix">1–30 characters of a–z, 0–9 and '-', starting with a letter or digit.</param>
    public string NewName(string prefix = "test")
    {
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        if (prefix.Length > 30 || !char.IsAsciiLetterOrDigit(prefix[0])
            || !prefix.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'))
        {
            throw new ArgumentException(
                $"Name prefix '{prefix}' must be 1-30 of a-z, 0-9 and '-', starting with a letter or digit.", nameof(prefix));
        }

        return $"{prefix}-{_runId}-{Interlocked.Increment(ref _nameCounter):D4}";
    }

    /// <summary>An S3 client for fauxqs: path-style, dummy credentials, the SDK's default checksum settings.</summary>
    public IAmazonS3 CreateS3Client() => new AmazonS3Client(
        new BasicAWSCredentials(AccessKeyId, SecretAccessKey),
        new AmazonS3Config { ServiceURL = FauxqsUrl.ToString(), ForcePathStyle = true, AuthenticationRegion = Region });

    /// <summary>A DynamoDB client for dynalite.</summary>
    public IAmazonDynamoDB CreateDynamoDbClient() => new AmazonDynamoDBClient(
        new BasicAWSCredentials(AccessKeyId, SecretAccessKey),
        new AmazonDynamoDBConfig { ServiceURL = DynamoDbUrl.ToString(), AuthenticationRegion = Region });

    /// <summary>Creates an empty bucket under a <see cref="NewName"/>; returns its name.</summary>
    public async Task<string> NewBucketAsync(string prefix = "bucket", CancellationToken cancellationToken = default)
    {
        var name = NewName(prefix);
        using var s3 = CreateS3Client();
        await s3.PutBucketAsync(new PutBucketRequest { BucketName = name }, cancellationToken);
        return name;
    }

    /// <summary>A <c>BatchFileTracker</c> table (<c>BatchId</c> S) under a new name.</summary>
    public Task<string> CreateTrackerTableAsync(CancellationToken cancellationToken = default) =>
        CreateTableAsync("tracker", PipelineTables.BatchFileTracker, cancellationToken);

    /// <summary>A <c>BatchDateLocks</c> table (<c>LockId</c> S) under a new name.</summary>
    public Task<string> CreateLockTableAsync(CancellationToken cancellationToken = default) =>
        CreateTableAsync("locks", PipelineTables.BatchDateLocks, cancellationToken);

    /// <summary>A <c>DailyKPIs</c> table (<c>date_key</c> S, month index) under a new name.</summary>
    public Task<string> CreateDailyKpisTableAsync(CancellationToken cancellationToken = default) =>
        CreateTableAsync("daily-kpis", PipelineTables.DailyKpis, cancellationToken);

    /// <summary>A <c>CategoryKPIs</c> table (<c>category</c> S, range <c>date_key</c> S, month index) under a new name.</summary>
    public Task<string> CreateCategoryKpisTableAsync(CancellationToken cancellationToken = default) =>
        CreateTableAsync("category-kpis", PipelineTables.CategoryKpis, cancellationToken);

    /// <summary>All four tables under new names.</summary>
    public async Task<KpiTableNames> CreateKpiTablesAsync(CancellationToken cancellationToken = default)
    {
        var tracker = CreateTrackerTableAsync(cancellationToken);
        var locks = CreateLockTableAsync(cancellationToken);
        var daily = CreateDailyKpisTableAsync(cancellationToken);
        var category = CreateCategoryKpisTableAsync(cancellationToken);
        await Task.WhenAll(tracker, locks, daily, category);
        return new KpiTableNames(await tracker, await locks, await daily, await category);
    }

    private async Task<string> CreateTableAsync(string prefix, DynamoDbTableLayout layout, CancellationToken cancellationToken)
    {
        var name = NewName(prefix);
        using var dynamoDb = CreateDynamoDbClient();
        await dynamoDb.CreateTableAsync(layout.ToCreateTableRequest(name), cancellationToken);
        await WaitUntilActiveAsync(dynamoDb, name, cancellationToken);
        return name;
    }

    private static async Task WaitUntilActiveAsync(IAmazonDynamoDB dynamoDb, string table, CancellationToken cancellationToken)
    {
        // dynalite runs with createTableMs=0, so the first look normally finds it ACTIVE.
        var elapsed = Stopwatch.StartNew();
        while (true)
        {
            var described = await dynamoDb.DescribeTableAsync(table, cancellationToken);
            if (described.Table.TableStatus == TableStatus.ACTIVE)
            {
                return;
            }

            if (elapsed.Elapsed > TableActiveTimeout)
            {
                throw new TimeoutException(
                    $"Table {table} is still {described.Table.TableStatus} after {TableActiveTimeout.TotalSeconds:0} s.");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(20), cancellationToken);
        }
    }

    private async Task<bool> IsFauxqsHealthyAsync(Uri serviceUrl, CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync(new Uri(serviceUrl, "/health"), cancellationToken);
        return response.IsSuccessStatusCode;
    }

    private async Task<bool> IsDynaliteHealthyAsync(Uri serviceUrl, CancellationToken cancellationToken)
    {
        // Any DynamoDB answer will do; ListTables is the cheapest real call.
        using var request = new HttpRequestMessage(HttpMethod.Post, serviceUrl)
        {
            Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/x-amz-json-1.0"),
        };
        request.Headers.Add("X-Amz-Target", "DynamoDB_20120810.ListTables");
        using var response = await _http.SendAsync(request, cancellationToken);
        return (int)response.StatusCode < 500;
    }

    private static EmulatorProcess Started(EmulatorProcess? process) => process ?? throw NotStarted();

    private static InvalidOperationException NotStarted() =>
        new("The emulators are not running: use EmulatorFixture through xunit (IAsyncLifetime), which starts them.");
}

/// <summary>The unique names of one set of the project's tables.</summary>
public sealed record KpiTableNames(string Tracker, string Locks, string DailyKpis, string CategoryKpis)
{
    /// <summary>The table variables of docs/architecture.md, for a child process or a test's environment.</summary>
    public IReadOnlyDictionary<string, string> ToEnvironment() => new Dictionary<string, string>
    {
        ["TRACKER_TABLE"] = Tracker,
        ["LOCK_TABLE"] = Locks,
        ["DAILY_KPIS_TABLE"] = DailyKpis,
        ["CATEGORY_KPIS_TABLE"] = CategoryKpis,
    };
}
