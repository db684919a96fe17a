namespace KpiPipeline.Lambda.Runtime;

/// <summary>What the Runtime API says about one invocation besides its event (the <c>Lambda-Runtime-*</c> headers).</summary>
/// <param name="RequestId"><c>Lambda-Runtime-Aws-Request-Id</c>: names the invocation in the response or error post.</param>
/// <param name="Deadline"><c>Lambda-Runtime-Deadline-Ms</c>: when Lambda stops the function.</param>
/// <param name="InvokedFunctionArn"><c>Lambda-Runtime-Invoked-Function-Arn</c>.</param>
/// <param name="TraceId"><c>Lambda-Runtime-Trace-Id</c>: the X-Ray trace header, when tracing is on.</param>
public sealed record InvocationContext(string RequestId, DateTimeOffset Deadline, string InvokedFunctionArn, string? TraceId);

/// <summary>One event from <c>GET /runtime/invocation/next</c>.</summary>
public sealed record RuntimeInvocation(InvocationContext Context, ReadOnlyMemory<byte> Event);

/// <summary>
/// A function the loop serves: reads the event, returns the response payload. An exception is the
/// invocation's error; the token fires shortly before the invocation's deadline.
/// </summary>
public delegate Task<Stream> InvocationHandler(Stream input, InvocationContext context, CancellationToken cancellationToken);
