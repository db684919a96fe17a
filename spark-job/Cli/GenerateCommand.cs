using System.CommandLine;
using KpiPipeline.Lake;
using KpiPipeline.Samples;
using Spectre.Console;

namespace KpiPipeline.SparkJob.Cli;

/// <summary><c>generate</c>: write a deterministic sample shop export.</summary>
internal static class GenerateCommand
{
    public static Command Create()
    {
        var output = new Option<string>("--out")
        {
            Description = "Folder to write into: it receives raw/products, raw/orders and raw/order_items.",
            Required = true,
        };
        var items = new Option<long>("--items") { Description = "Order items in total.", DefaultValueFactory = _ => 1_000 };
        var days = new Option<int>("--days") { Description = "Days (daily batches).", DefaultValueFactory = _ => 3 };
        var parts = new Option<int>("--parts") { Description = "Part files per day and dataset.", DefaultValueFactory = _ => 3 };
        var products = new Option<int>("--products") { Description = "Products in the catalogue.", DefaultValueFactory = _ => 200 };
        var start = CommonOptions.Date("--start", "First day (default 2024-03-01).");
        var seed = new Option<int>("--seed") { Description = "Random seed: the same seed gives the same files.", DefaultValueFactory = _ => 42 };
        var command = new Command("generate", "Write a deterministic sample shop export (products, orders, order items) for tests, demos and benchmarks.")
        {
            output, items, days, parts, products, start, seed,
        };
        command.SetAction((parse, cancellationToken) => KpiJobCli.GuardAsync(verbose: false, async context =>
        {
            var options = new SampleOptions
            {
                Items = parse.GetValue(items),
                Days = parse.GetValue(days),
                PartsPerDay = parse.GetValue(parts),
                Products = parse.GetValue(products),
                Seed = parse.GetValue(seed),
                StartDate = parse.GetValue(start) ?? new SampleOptions().StartDate,
            };
            if (options.Items < 1 || options.Days < 1 || options.PartsPerDay < 1 || options.Products < 1)
                throw new UsageException("--items, --days, --parts and --products must be at least 1");
            var folder = parse.GetValue(output)!;
            Directory.CreateDirectory(folder);
            var summary = await SampleGenerator.WriteAsync(new LocalObjectStore(folder), options, null, cancellationToken).ConfigureAwait(false);
            context.Out.MarkupLine(CommonOptions.Invariant(
                $"Wrote {summary.Items:N0} order items in {summary.Orders:N0} orders over {options.Days} day(s), {summary.Products} products, {summary.Bytes / 1e6:0.0} MB, under {Markup.Escape(Path.GetFullPath(folder))}/raw/"));
            return ExitCodes.Success;
        }));
        return command;
    }
}
