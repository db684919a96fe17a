using KpiPipeline.Lambda;

try
{
    return await InvokeCommand.RunAsync(args, Console.Out, Console.Error).ConfigureAwait(false);
}
finally
{
    LambdaRuntime.FlushLogs();
}
