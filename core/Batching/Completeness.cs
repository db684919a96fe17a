using KpiPipeline.Lake;

namespace KpiPipeline.Batching;

/// <param name="IsReady">The batch may run now.</param>
/// <param name="DefaultRuleMet">Products and at least one file of each kind: what a stale batch with an expected-files list needs to be released anyway.</param>
/// <param name="Status">The waiting status to report when not ready.</param>
/// <param name="Reason">Why it is (not) ready, for the log and <c>status_reason</c>.</param>
public sealed record Readiness(bool IsReady, bool DefaultRuleMet, string Status, string Reason, IReadOnlyList<string> MissingExpected);

/// <summary>When a daily batch is complete (lambda/README.md, "Expected-files list").</summary>
public static class Completeness
{
    private const int ListedInReason = 5;

    /// <param name="productsKey">The products master data key when it has arrived.</param>
    public static Readiness Evaluate(BatchState state, string? productsKey)
    {
        ArgumentNullException.ThrowIfNull(state);
        var hasDaily = state.OrdersKeys.Count > 0 && state.OrderItemsKeys.Count > 0;
        var defaultRuleMet = productsKey is not null && hasDaily;
        if (state.HasExpectedFiles)
        {
            var missing = (state.ExpectedOrdersKeys ?? BatchState.NoKeys).Where(k => !state.OrdersKeys.Contains(k))
                .Concat((state.ExpectedOrderItemsKeys ?? BatchState.NoKeys).Where(k => !state.OrderItemsKeys.Contains(k)))
                .Order(StringComparer.Ordinal)
                .ToList();
            if (missing.Count > 0)
            {
                var expected = (state.ExpectedOrdersKeys?.Count ?? 0) + (state.ExpectedOrderItemsKeys?.Count ?? 0);
                var listed = string.Join(", ", missing.Take(ListedInReason)) + (missing.Count > ListedInReason ? ", …" : "");
                return new Readiness(false, defaultRuleMet, BatchStatus.WaitingForFiles,
                    $"{missing.Count} of {expected} expected files have not arrived: {listed}", missing);
            }
            return productsKey is null
                ? WaitingForProducts(defaultRuleMet)
                : new Readiness(true, defaultRuleMet, BatchStatus.Claimed, "every file of the expected-files list has arrived", []);
        }
        if (!hasDaily)
        {
            var lacking = state.OrdersKeys.Count == 0 && state.OrderItemsKeys.Count == 0 ? "orders and order_items files"
                : state.OrdersKeys.Count == 0 ? "an orders file" : "an order_items file";
            return new Readiness(false, defaultRuleMet, BatchStatus.WaitingForFiles, $"waiting for {lacking}", []);
        }
        return productsKey is null
            ? WaitingForProducts(defaultRuleMet)
            : new Readiness(true, defaultRuleMet, BatchStatus.Claimed, "products, orders and order_items files have arrived", []);
    }

    private static Readiness WaitingForProducts(bool defaultRuleMet) =>
        new(false, defaultRuleMet, BatchStatus.WaitingForProducts, $"waiting for products master data ({LakeLayout.ProductsKey})", []);
}
