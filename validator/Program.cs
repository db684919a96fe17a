using System.Runtime.InteropServices;
using KpiPipeline.Validator;

// Thin entry point: parse, build services, call one use case (see ValidatorApp).
// Ctrl+C locally and SIGTERM from ECS (a stopped task) cancel the run; it then exits 1 so it is retried.
using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancellation.Cancel();
};
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    cancellation.Cancel();
});
return await ValidatorApp.RunAsync(args, Console.Out, Console.Error, cancellation.Token);
