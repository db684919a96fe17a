using KpiPipeline.Lambda;

// In Lambda (AWS_LAMBDA_RUNTIME_API set, no arguments) the program is the function's runtime: it serves
// KPI_FUNCTION until Lambda stops it. With arguments it is the local command line (invoke).
return args.Length == 0 && Environment.GetEnvironmentVariable(LambdaHost.RuntimeApiVariable) is { Length: > 0 } runtimeApi
    ? await LambdaHost.ServeAsync(runtimeApi, Environment.GetEnvironmentVariable(FunctionCatalog.FunctionVariable)).ConfigureAwait(false)
    : await InvokeCommand.RunAsync(args, Console.Out, Console.Error).ConfigureAwait(false);
