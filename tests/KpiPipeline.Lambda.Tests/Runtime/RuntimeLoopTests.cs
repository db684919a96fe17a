using System.Text;
using KpiPipeline.Lambda.Runtime;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace KpiPipeline.Lambda.Tests.Runtime;

/// <summary>
/// The loop in this process against the loopback Runtime API, with handlers written for each case: what the
/// loop itself promises (trace header, deadline token, errors, init errors), whatever function it serves.
/// </summary>
public sealed class RuntimeLoopTests : IAsyncLifetime
{
    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromMinutes(1);

    private readonly CancellationTokenSource _stopping = new();
    private LoopbackRuntimeApi _api = null!;
    private Task<int>? _loop;

    public async Task InitializeAsync() => _api = await LoopbackRuntimeApi.StartAsync();

    public async Task DisposeAsync()
    {
        await _stopping.CancelAsync();
        if (_loop is not null)
            await _loop.WaitAsync(AnswerTimeout);
        await _api.DisposeAsync();
        _stopping.Dispose();
    }

    [Fact]
    public async Task RunAsync_TraceHeader_IsTheTraceVariableForThatInvocationOnly()
    {
        Start((_, _, _) => Task.FromResult(Text(Environment.GetEnvironmentVariable(RuntimeLoop.TraceEnvironmentVariable) ?? "(none)")));
        const string trace = "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1";

        var traced = await _api.InvokeAsync("{}", traceId: trace).WaitAsync(AnswerTimeout);
        var untraced = await _api.InvokeAsync("{}").WaitAsync(AnswerTimeout);

        Assert.Equal((trace, "(none)"), (traced.Response, untraced.Response));
    }

    [Fact]
    public async Task RunAsync_Invocation_HandlerSeesTheEventAndTheHeaders()
    {
        Start((input, context, _) => Task.FromResult(Text($"{new StreamReader(input).ReadToEnd()}|{context.InvokedFunctionArn}|{context.Deadline.ToUnixTimeMilliseconds()}|{context.RequestId}")));
        var deadline = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.AddMinutes(2).ToUnixTimeMilliseconds());

        var result = await _api.InvokeAsync("""{"a":"ä"}""", deadline).WaitAsync(AnswerTimeout);

        Assert.Equal("{\"a\":\"ä\"}" + $"|{_api.FunctionArn}|{deadline.ToUnixTimeMilliseconds()}|{result.RequestId}", result.Response);
    }

    [Fact]
    public async Task RunAsync_HandlerThrows_PostsTheErrorAndServesTheNextEvent()
    {
        Start((input, _, _) => new StreamReader(input).ReadToEnd() == "\"fail\""
            ? throw new InvalidDataException("the event said so")
            : Task.FromResult(Text("ok")));

        var failed = await _api.InvokeAsync("\"fail\"").WaitAsync(AnswerTimeout);
        var next = await _api.InvokeAsync("\"go\"").WaitAsync(AnswerTimeout);

        Assert.Equal(("InvalidDataException", "InvalidDataException", "the event said so"), (failed.Error?.ErrorType, failed.Error?.ErrorTypeHeader, failed.Error?.ErrorMessage));
        Assert.NotEmpty(failed.Error!.StackTrace);
        Assert.Equal("ok", next.Response);
        Assert.Empty(_api.Problems);
    }

    [Fact]
    public async Task RunAsync_Deadline_TokenFiresOneSecondBeforeIt()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var tokenSeen = new TaskCompletionSource<CancellationToken>(TaskCreationOptions.RunContinuationsAsynchronously);
        Start(async (_, _, token) =>
        {
            tokenSeen.SetResult(token);
            await Task.Delay(Timeout.Infinite, token);
            return Text("unreachable");
        }, clock);

        var invocation = _api.InvokeAsync("{}", clock.GetUtcNow().AddSeconds(10));
        var token = await tokenSeen.Task.WaitAsync(AnswerTimeout);
        clock.Advance(TimeSpan.FromSeconds(8.99));
        Assert.False(token.IsCancellationRequested);
        clock.Advance(TimeSpan.FromSeconds(0.01));
        Assert.True(token.IsCancellationRequested);

        var result = await invocation.WaitAsync(AnswerTimeout);
        Assert.Equal("Runtime.DeadlineExceeded", result.Error?.ErrorType);
    }

    [Fact]
    public async Task RunAsync_InitializerThrows_PostsInitErrorAndReturnsFailed()
    {
        using var client = Client(TimeProvider.System);
        var loop = new RuntimeLoop(client, TimeProvider.System, NullLogger.Instance);

        var exitCode = await loop.RunAsync("broken", () => throw new InvalidOperationException("no table configured"), _stopping.Token);

        var error = await _api.InitError.WaitAsync(AnswerTimeout);
        Assert.Equal((ExitCodes.Failure, "InvalidOperationException", "no table configured"), (exitCode, error.ErrorType, error.ErrorMessage));
        Assert.Empty(_api.Polls);
    }

    [Fact]
    public async Task RunAsync_StoppedWhileWaiting_ReturnsStopped()
    {
        Start((_, _, _) => Task.FromResult(Text("")));
        await _api.InvokeAsync("{}").WaitAsync(AnswerTimeout);

        await _stopping.CancelAsync();

        Assert.Equal(ExitCodes.Success, await _loop!.WaitAsync(AnswerTimeout));
    }

    private void Start(InvocationHandler handler, TimeProvider? clock = null)
    {
        var timeProvider = clock ?? TimeProvider.System;
        var client = Client(timeProvider);
        var loop = new RuntimeLoop(client, timeProvider, NullLogger.Instance);
        _loop = Task.Run(async () =>
        {
            using (client)
                return await loop.RunAsync("test", () => handler, _stopping.Token);
        });
    }

    private RuntimeApiClient Client(TimeProvider timeProvider) =>
        new(_api.HostAndPort, new SocketsHttpHandler { UseProxy = false }, new RuntimeApiRetryOptions(), timeProvider, NullLogger.Instance);

    private static Stream Text(string text) => new MemoryStream(Encoding.UTF8.GetBytes(text));
}
