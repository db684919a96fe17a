using KpiPipeline.SparkJob.Cli;

return await KpiJobCli.InvokeAsync(args);
