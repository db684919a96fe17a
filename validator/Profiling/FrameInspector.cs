using KpiPipeline.Contracts;
using KpiPipeline.Validation;

namespace KpiPipeline.Validator.Profiling;

/// <summary>
/// The validator's frame-level checks (<see cref="IFileInspector"/>): each file's bounded sample as a Deedle
/// frame, its column profile, and the expectations of its dataset judged against the configured bounds.
/// Pass it to <see cref="BatchValidator"/>; the validator container and <c>kpi-job run</c> both do.
/// </summary>
public sealed class FrameInspector(ExpectationSettings settings) : IFileInspector
{
    public FrameInspector()
        : this(ExpectationSettings.Default)
    {
    }

    public int SampleRows(Dataset dataset) => dataset == Dataset.Products ? settings.ProductRows : settings.SampleRows;

    public FileQuality Inspect(FileSample sample)
    {
        var frame = SampleFrame.Of(sample);
        var results = new List<ExpectationResult>();
        foreach (var expectation in Expectations.Of(sample.Dataset))
        {
            var bounds = settings.For(expectation.Id);
            var measured = expectation.Measure(frame);
            var status = measured.Value is { } value ? bounds.Judge(value) : ExpectationStatus.Met;
            results.Add(new ExpectationResult(expectation.Id, expectation.Description, status, measured.Value, bounds.ToString(), measured.Detail));
        }
        return new FileQuality(ColumnProfiler.Profile(frame), results);
    }
}
