using KpiPipeline.Validator;

// Thin entry point: parse, build services, call one use case (see ValidatorApp).
using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancellation.Cancel();
};
return await ValidatorApp.RunAsync(args, Console.Out, Console.Error, cancellation.Token);
