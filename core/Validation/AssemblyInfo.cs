using System.Runtime.CompilerServices;

// The validator's tests reach the key table and the row checker directly (the core's csproj grants the core tests only).
[assembly: InternalsVisibleTo("KpiPipeline.Validator.Tests")]
