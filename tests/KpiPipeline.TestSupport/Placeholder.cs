namespace KpiPipeline.Testing;

public static class Placeholder;
