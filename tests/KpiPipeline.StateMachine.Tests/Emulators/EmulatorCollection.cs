using KpiPipeline.Testing;

namespace KpiPipeline.StateMachine.Tests.Emulators;

[CollectionDefinition(EmulatorFixture.CollectionName)]
public sealed class EmulatorCollection : ICollectionFixture<EmulatorFixture>;
