using Google.Protobuf.Reflection;
using KpiPipeline.SparkJob.SparkConnect.Protocol;
using KpiPipeline.SparkJob.Tests.SparkConnect.Wire;

namespace KpiPipeline.SparkJob.Tests.SparkConnect;

/// <summary>
/// The client's own .proto against the suite's table of Spark 4.x's messages: every message and field it declares
/// must exist in Spark with the same number, type and cardinality, and every RPC it calls must be Spark's.
/// </summary>
public sealed class ProtoDefinitionTests
{
    public static TheoryData<string> DeclaredMessages()
    {
        var data = new TheoryData<string>();
        foreach (var message in AllMessages(SparkConnectReflection.Descriptor.MessageTypes))
            data.Add(RelativeName(message));
        return data;
    }

    [Theory]
    [MemberData(nameof(DeclaredMessages))]
    public void Message_EveryDeclaredField_HasSparksNumberTypeAndCardinality(string name)
    {
        var message = AllMessages(SparkConnectReflection.Descriptor.MessageTypes).Single(m => RelativeName(m) == name);
        Assert.True(SparkProto.Messages.ContainsKey(name), $"Spark 4.x has no message spark.connect.{name}");

        foreach (var field in message.Fields.InDeclarationOrder())
        {
            var spark = SparkProto.Fields(name).FirstOrDefault(f => f.Name == field.Name);
            Assert.True(spark is not null, $"Spark's {name} has no field {field.Name}");
            Assert.Equal((spark.Number, spark.Type, spark.Repeated), (field.FieldNumber, TypeOf(field), field.IsRepeated));
        }
    }

    [Fact]
    public void Service_Methods_AreSparkConnectServiceRpcsWithTheirStreaming()
    {
        var service = Assert.Single(SparkConnectReflection.Descriptor.Services);

        Assert.Equal("spark.connect.SparkConnectService", service.FullName);
        var methods = service.Methods.Select(m => (m.Name, Input: RelativeName(m.InputType), Output: RelativeName(m.OutputType), m.IsServerStreaming, m.IsClientStreaming));
        // base.proto: service SparkConnectService.
        Assert.Equal(
        [
            ("ExecutePlan", "ExecutePlanRequest", "ExecutePlanResponse", true, false),
            ("AnalyzePlan", "AnalyzePlanRequest", "AnalyzePlanResponse", false, false),
            ("ReattachExecute", "ReattachExecuteRequest", "ExecutePlanResponse", true, false),
            ("ReleaseExecute", "ReleaseExecuteRequest", "ReleaseExecuteResponse", false, false),
            ("ReleaseSession", "ReleaseSessionRequest", "ReleaseSessionResponse", false, false),
        ], methods);
    }

    private static IEnumerable<MessageDescriptor> AllMessages(IEnumerable<MessageDescriptor> messages) =>
        messages.SelectMany(m => AllMessages(m.NestedTypes).Prepend(m));

    private static string RelativeName(MessageDescriptor message) => message.FullName[(SparkProto.Package.Length + 1)..];

    private static string TypeOf(FieldDescriptor field) => field.FieldType switch
    {
        FieldType.String => "string",
        FieldType.Bytes => "bytes",
        FieldType.Int64 => "int64",
        FieldType.Int32 => "int32",
        FieldType.Bool => "bool",
        FieldType.Message => field.MessageType.FullName.StartsWith(SparkProto.Package + ".", StringComparison.Ordinal) ? RelativeName(field.MessageType) : field.MessageType.FullName,
        var other => other.ToString(),
    };
}
