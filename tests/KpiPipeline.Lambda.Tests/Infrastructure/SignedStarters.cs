using Amazon;
using Amazon.Runtime;
using Amazon.Runtime.Signing;
using KpiPipeline.Batching;
using KpiPipeline.Testing;

namespace KpiPipeline.Lambda.Tests.Infrastructure;

internal static class SignedStarters
{
    /// <summary>The production starter, signing with dummy credentials, aimed at the loopback fake.</summary>
    public static StepFunctionsStarter For(FakeStepFunctions fake) => new(
        new HttpClient(new SigV4SigningHandler(new BasicAWSCredentials(EmulatorFixture.AccessKeyId, EmulatorFixture.SecretAccessKey), RegionEndpoint.USEast1, StepFunctionsStarter.SigningName, new SocketsHttpHandler())),
        fake.Url,
        FakeStepFunctions.StateMachineArn);
}
