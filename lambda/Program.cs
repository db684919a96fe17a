using KpiPipeline.Lambda;

return await InvokeCommand.RunAsync(args, Console.Out, Console.Error).ConfigureAwait(false);
