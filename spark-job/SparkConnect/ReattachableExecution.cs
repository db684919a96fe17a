using Grpc.Core;
using KpiPipeline.SparkJob.SparkConnect.Protocol;

namespace KpiPipeline.SparkJob.SparkConnect;

/// <summary>
/// One reattachable ExecutePlan as a sequence of responses. A reattachable execution is complete only when a
/// <c>ResultComplete</c> arrives: a stream that ends without one (the server ends them after a few minutes) is
/// continued with ReattachExecute from the last response id, and so is a stream that breaks after the server
/// has answered, a bounded number of times in a row. Disposing always sends ReleaseExecute, which frees the
/// server's buffered responses and interrupts the query when it did not complete (cancelled, failed, abandoned).
/// </summary>
internal sealed class ReattachableExecution(SparkConnectClient client, ExecutePlanRequest request, CancellationToken cancellationToken) : IAsyncDisposable
{
    private readonly DateTime? _deadline = client.OperationDeadline();
    private AsyncServerStreamingCall<ExecutePlanResponse>? _call;
    private string _method = "ExecutePlan";
    private string? _lastResponseId;
    private bool _complete;
    private bool _neverConnected;
    private bool _respondedInThisStream;
    private int _failuresInARow;
    private int _emptyStreamsInARow;

    public string OperationId => request.OperationId;

    public ExecutePlanResponse Current { get; private set; } = null!;

    public async ValueTask<bool> MoveNextAsync()
    {
        _call ??= client.StartExecute(request, _deadline, cancellationToken);
        while (!_complete)
        {
            try
            {
                if (await _call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false))
                {
                    var response = _call.ResponseStream.Current;
                    _respondedInThisStream = true;
                    _failuresInARow = 0;
                    _emptyStreamsInARow = 0;
                    client.ObserveServerSession(response.ServerSideSessionId);
                    if (response.ResponseId.Length > 0)
                        _lastResponseId = response.ResponseId;
                    if (response.ResponseTypeCase == ExecutePlanResponse.ResponseTypeOneofCase.ResultComplete)
                    {
                        _complete = true;
                        return false;
                    }

                    Current = response;
                    return true;
                }

                // Ended OK without ResultComplete: the server wants us to reattach for the rest.
                if (!_respondedInThisStream && ++_emptyStreamsInARow > client.Options.MaxEmptyStreams)
                    throw SparkConnectErrors.ReattachGaveUp(client.Endpoint, OperationId, _emptyStreamsInARow);
            }
            catch (RpcException ex) when (IsBrokenStream(ex) && ++_failuresInARow <= client.Options.MaxReattachAfterFailure)
            {
                // The stream broke after the server had the execution: its responses are buffered, so resume.
            }
            catch (RpcException ex)
            {
                // Nothing reached a server that could not be connected to: there is nothing to release.
                _neverConnected = _lastResponseId is null && ex.Status.DebugException is HttpRequestException;
                throw client.Error(ex, _method, client.Options.OperationTimeout, cancellationToken);
            }

            _call.Dispose();
            _method = "ReattachExecute";
            _respondedInThisStream = false;
            _call = client.StartReattach(OperationId, _lastResponseId, _deadline, cancellationToken);
        }

        return false;
    }

    public async ValueTask DisposeAsync()
    {
        if (_call is null)
            return;
        _call.Dispose();
        if (_neverConnected)
            return;
        await client.ReleaseExecuteAsync(OperationId).ConfigureAwait(false);
    }

    /// <summary>
    /// A transport failure (the client-side exception is attached; a status the server sent has none) after at least
    /// one response, so the server is known to hold the execution. Anything else is reported as it is.
    /// </summary>
    private bool IsBrokenStream(RpcException exception) =>
        _lastResponseId is not null
        && exception.StatusCode is StatusCode.Unavailable or StatusCode.Internal or StatusCode.Unknown
        && exception.Status.DebugException is not null and not OperationCanceledException;
}
