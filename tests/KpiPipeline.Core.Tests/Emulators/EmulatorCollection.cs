using KpiPipeline.Testing;

namespace KpiPipeline.Core.Tests.Emulators;

/// <summary>One set of emulators for every test of this assembly in the "emulators" collection (xunit needs the definition here).</summary>
[CollectionDefinition(EmulatorFixture.CollectionName)]
public sealed class EmulatorCollection : ICollectionFixture<EmulatorFixture>;
