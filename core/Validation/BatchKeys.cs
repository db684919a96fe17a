using KpiPipeline.Contracts;

namespace KpiPipeline.Validation;

/// <summary>
/// The keys the batch has accepted so far, for duplicate and referential checks across its files: product
/// ids, order ids, order item ids, and for order items without an id column, whole-row content hashes.
/// </summary>
internal sealed class BatchKeys
{
    public KeyTable Products { get; } = new();

    public KeyTable Orders { get; } = new();

    public KeyTable OrderItems { get; } = new();

    /// <summary>Order items of files that have no id column, keyed by their content: only identical rows collide.</summary>
    public KeyTable OrderItemRows { get; } = new();

    public Checkpoint Mark() => new(Products.Mark(), Orders.Mark(), OrderItems.Mark(), OrderItemRows.Mark());

    public void Rollback(Checkpoint checkpoint)
    {
        Products.Rollback(checkpoint.Products);
        Orders.Rollback(checkpoint.Orders);
        OrderItems.Rollback(checkpoint.OrderItems);
        OrderItemRows.Rollback(checkpoint.OrderItemRows);
    }

    public KeyTable KeysOf(Dataset dataset, bool hasIdColumn) => dataset switch
    {
        Dataset.Products => Products,
        Dataset.Orders => Orders,
        Dataset.OrderItems => hasIdColumn ? OrderItems : OrderItemRows,
        _ => throw new ArgumentOutOfRangeException(nameof(dataset), dataset, null),
    };

    public readonly record struct Checkpoint(KeyTable.Checkpoint Products, KeyTable.Checkpoint Orders, KeyTable.Checkpoint OrderItems, KeyTable.Checkpoint OrderItemRows);
}
