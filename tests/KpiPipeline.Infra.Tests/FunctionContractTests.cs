using KpiPipeline.Infra.Tests.Support;
using KpiPipeline.Lambda;

namespace KpiPipeline.Infra.Tests;

/// <summary>
/// The template against what the Lambda program expects when the runtime starts it: its assembly as the
/// handler, a KPI_FUNCTION it serves, and every variable that function is configured by (lambda/FunctionCatalog.cs).
/// </summary>
[Collection(SynthesizedStackCollection.Name)]
public sealed class FunctionContractTests(SynthesizedStack sut)
{
    public static TheoryData<string> CatalogNames => new(FunctionCatalog.Names);

    [Fact]
    public void Template_EveryFunction_ServesAFunctionOfTheCatalog()
    {
        var names = sut.Json.Resources("AWS::Lambda::Function")
            .Select(function => (string?)function.Properties["Environment"]?["Variables"]?[FunctionCatalog.FunctionVariable])
            .OfType<string>();

        Assert.Equal(FunctionCatalog.Names.Order(), names.Order());
        Assert.Equal(FunctionCatalog.FunctionVariable, PipelineFunctions.FunctionVariable);
    }

    [Theory]
    [MemberData(nameof(CatalogNames))]
    public void Function_ForEachCatalogEntry_IsTheLambdaAssemblyOnTheManagedRuntime(string name)
    {
        var function = sut.Json.Function(name);

        Assert.Equal(typeof(FunctionCatalog).Assembly.GetName().Name, (string?)function.Properties["Handler"]);
        Assert.Equal("dotnet10", (string?)function.Properties["Runtime"]);
    }

    [Theory]
    [MemberData(nameof(CatalogNames))]
    public void Function_ForEachCatalogEntry_SetsExactlyTheVariablesItIsConfiguredBy(string name)
    {
        var variables = sut.Json.Function(name).Properties["Environment"]!["Variables"]!.AsObject().Select(pair => pair.Key);

        Assert.Equal(FunctionCatalog.Find(name)!.Environment.Order(), variables.Order());
    }
}
