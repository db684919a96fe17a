using KpiPipeline.Contracts;

namespace KpiPipeline.Core.Tests.Contracts;

public sealed class HeaderBindingTests
{
    [Fact]
    public void Bind_CommonExportAliases_MapToCanonicalColumns()
    {
        var orders = Schemas.Orders.Bind(["Order_ID", " customer_id ", "ORDER_DATE"]);
        var items = Schemas.OrderItems.Bind(["order_item_id", "order_id", "product_id", "unit_price"]);
        var products = Schemas.Products.Bind(["product_id", "sku", "cost", "category", "retail_price"]);

        Assert.True(orders.IsUsable);
        Assert.Equal(1, orders.PositionOf("user_id"));
        Assert.Equal(2, orders.PositionOf("created_at"));
        Assert.Equal(0, items.PositionOf("id"));
        Assert.Equal(3, items.PositionOf("sale_price"));
        Assert.Equal(0, products.PositionOf("id"));
    }

    [Fact]
    public void Bind_MissingRequiredColumns_NamesThemAll()
    {
        var binding = Schemas.OrderItems.Bind(["order_id", "quantity"]);

        Assert.False(binding.IsUsable);
        Assert.Equal(["product_id", "sale_price"], binding.MissingRequired);
    }

    [Fact]
    public void Bind_DuplicateHeader_IsReportedCaseInsensitively()
    {
        var binding = Schemas.Orders.Bind(["order_id", "user_id", "created_at", "ORDER_ID"]);

        Assert.Equal(["ORDER_ID"], binding.DuplicateHeaders);
        Assert.False(binding.IsUsable);
    }

    [Fact]
    public void Bind_CanonicalNameAndAlias_CanonicalWins()
    {
        var binding = Schemas.OrderItems.Bind(["order_id", "product_id", "price", "sale_price"]);

        Assert.True(binding.IsUsable);
        Assert.Equal(3, binding.PositionOf("sale_price"));
    }

    [Fact]
    public void Bind_TwoAliasesOfOneColumn_AreAmbiguous()
    {
        var binding = Schemas.OrderItems.Bind(["order_id", "product_id", "price", "unit_price"]);

        Assert.Equal(["sale_price"], binding.AmbiguousColumns);
        Assert.False(binding.IsUsable);
    }

    [Fact]
    public void MustHaveValue_ItemIdPresent_IsRequiredOtherwiseOptional()
    {
        var id = Schemas.OrderItems.Columns[Schemas.OrderItems.IndexOf("id")];

        Assert.True(id.MustHaveValue(present: true));
        Assert.False(id.MustHaveValue(present: false));
    }
}
