namespace KpiPipeline;

internal static class Placeholder;
