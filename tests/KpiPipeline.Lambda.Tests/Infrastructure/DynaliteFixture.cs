using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.Runtime;

namespace KpiPipeline.Lambda.Tests.Infrastructure;

/// <summary>
/// dynalite on a free 127.0.0.1 port for the whole test assembly, stopped by its process id. A stand-in
/// until the shared EmulatorFixture of KpiPipeline.TestSupport lands; it mirrors that fixture's surface
/// (<see cref="CollectionName"/>, <see cref="NewName"/>, <see cref="CreateDynamoDbClient"/>) so the swap is a rename.
/// Needs <c>npm install</c> at the repository root (dynalite, and Node 22 from the node package if present).
/// </summary>
public sealed class DynaliteFixture : IAsyncLifetime
{
    public const string CollectionName = "emulators";
    public const string Region = "us-east-1";
    public const string AccessKeyId = "test";
    public const string SecretAccessKey = "test";

    private static readonly TimeSpan StartupTimeout = TimeSpan.FromSeconds(60);

    private readonly string _runId = Guid.NewGuid().ToString("N")[..8];
    private Process? _process;
    private int _names;

    public Uri DynamoDbUrl { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var root = RepositoryRoot();
        var cli = Path.Combine(root, "node_modules", "dynalite", "cli.js");
        if (!File.Exists(cli))
            throw new InvalidOperationException($"dynalite is not installed ({cli} is missing): run 'npm ci' at the repository root (see tests/README.md).");
        var localNode = Path.Combine(root, "node_modules", ".bin", "node");
        var port = FreePort();
        var startInfo = new ProcessStartInfo(File.Exists(localNode) ? localNode : "node")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = root,
        };
        foreach (var argument in new[] { cli, "--host", "127.0.0.1", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--createTableMs", "0", "--deleteTableMs", "0", "--updateTableMs", "0" })
            startInfo.ArgumentList.Add(argument);

        // dynalite prints one line once it listens: wait for that line, not for a guessed delay.
        var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var output = new System.Text.StringBuilder();
        _process = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
                return;
            lock (output)
                output.AppendLine(e.Data);
            if (e.Data.Contains("listening", StringComparison.OrdinalIgnoreCase))
                listening.TrySetResult();
        };
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
                lock (output)
                    output.AppendLine(e.Data);
        };
        _process.Exited += (_, _) => listening.TrySetException(new InvalidOperationException($"dynalite exited before it listened: {output}"));
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        try
        {
            await listening.Task.WaitAsync(StartupTimeout);
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
        DynamoDbUrl = new Uri($"http://127.0.0.1:{port}");
    }

    public Task DisposeAsync()
    {
        if (_process is { } process)
        {
            try
            {
                if (!process.HasExited)
                    process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // Exited between the check and the kill.
            }
            process.Dispose();
            _process = null;
        }
        return Task.CompletedTask;
    }

    /// <summary>A name no other test gets: <c>{prefix}-{run}-{n}</c>.</summary>
    public string NewName(string prefix = "test") => $"{prefix}-{_runId}-{Interlocked.Increment(ref _names):D4}";

    public IAmazonDynamoDB CreateDynamoDbClient() => new AmazonDynamoDBClient(
        new BasicAWSCredentials(AccessKeyId, SecretAccessKey),
        new AmazonDynamoDBConfig { ServiceURL = DynamoDbUrl.ToString(), AuthenticationRegion = Region });

    /// <summary>Creates a table with a string partition key and returns once it is ACTIVE.</summary>
    public async Task<string> NewTableAsync(string prefix, string keyName)
    {
        var name = NewName(prefix);
        using var client = CreateDynamoDbClient();
        await client.CreateTableAsync(new CreateTableRequest
        {
            TableName = name,
            KeySchema = [new KeySchemaElement(keyName, KeyType.HASH)],
            AttributeDefinitions = [new AttributeDefinition(keyName, ScalarAttributeType.S)],
            BillingMode = BillingMode.PAY_PER_REQUEST,
        });
        // dynalite runs with --createTableMs 0, so this sees ACTIVE within a call or two; bounded anyway.
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var table = await client.DescribeTableAsync(name);
            if (table.Table.TableStatus == TableStatus.ACTIVE)
                return name;
            await Task.Yield();
        }
        throw new InvalidOperationException($"Table {name} did not become ACTIVE.");
    }

    /// <summary>The folder holding KpiPipeline.slnx, found from the test assembly's folder upwards.</summary>
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "KpiPipeline.slnx")))
                return dir.FullName;
        }
        throw new InvalidOperationException($"No KpiPipeline.slnx above {AppContext.BaseDirectory}.");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

[CollectionDefinition(DynaliteFixture.CollectionName)]
public sealed class DynaliteCollection : ICollectionFixture<DynaliteFixture>;
