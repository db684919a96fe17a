using KpiPipeline.Orchestration;

namespace KpiPipeline.Testing;

/// <summary>Runs the built <c>validator</c> as the container does: a new process, arguments, exit code, stdout, stderr.</summary>
public static class ValidatorProcess
{
    public static Task<KpiJobProcess.Result> RunAsync(IReadOnlyDictionary<string, string>? environment, params string[] arguments) =>
        KpiJobProcess.RunCommandAsync([.. BuiltAssembly.DotnetCommand(RepositoryRoot.Find(), "validator", "validator"), .. arguments], environment);
}
