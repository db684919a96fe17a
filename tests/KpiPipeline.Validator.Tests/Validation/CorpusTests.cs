using System.Globalization;
using KpiPipeline.Contracts;
using KpiPipeline.Lake;
using KpiPipeline.Validation;
using KpiPipeline.Validator.Tests.Builders;
using static KpiPipeline.Validation.FileDisposition;

namespace KpiPipeline.Validator.Tests.Validation;

/// <summary>
/// Every file of the bad-input corpus (Corpus/, one real-world failure each) dropped into the standard
/// clean batch, with its exact outcome: where it went, which rule, how many rows.
/// </summary>
public sealed class CorpusTests
{
    /// <summary>What one corpus file must produce. Rejected: "rule=count,…". Row-level cases run with a 0.5 threshold so the files stay short.</summary>
    public sealed record Case(FileDisposition Disposition, string? FileRule = null, long Accepted = 0, string Rejected = "", long BlankLines = 0,
        long OffDate = 0, long[]? RejectedLines = null, double MaxRejectedFraction = 0.5, BatchOutcome Outcome = BatchOutcome.Valid);

    private static readonly Dictionary<string, Case> Cases = new(StringComparer.Ordinal)
    {
        ["orders/bom.csv"] = new(Validated, Accepted: 4),
        ["orders/crlf.csv"] = new(Validated, Accepted: 4),
        ["orders/aliases_and_padded_headers.csv"] = new(Validated, Accepted: 4),
        ["orders/blank_lines.csv"] = new(Validated, Accepted: 4, BlankLines: 3),
        ["orders/header_only.csv"] = new(Quarantined, "no_data_rows"),
        ["orders/header_then_blank_lines.csv"] = new(Quarantined, "no_data_rows", BlankLines: 3),
        ["orders/empty.csv"] = new(Quarantined, "empty_file"),
        ["orders/bom_only.csv"] = new(Quarantined, "empty_file"),
        ["orders/future_timestamp.csv"] = new(Validated, Accepted: 3, Rejected: "timestamp_in_future=1", RejectedLines: [3]),
        ["orders/before_2000.csv"] = new(Validated, Accepted: 3, Rejected: "timestamp_too_early=2", RejectedLines: [2, 3]),
        ["orders/unparseable_timestamps.csv"] = new(Validated, Accepted: 4, Rejected: "invalid_timestamp=4", RejectedLines: [2, 3, 4, 5]),
        ["orders/duplicate_conflict.csv"] = new(Validated, Accepted: 3, Rejected: "duplicate_key_conflict=1", RejectedLines: [4]),
        ["orders/duplicate_identical.csv"] = new(Validated, Accepted: 3, Rejected: "duplicate_identical=1", RejectedLines: [4]),
        ["orders/off_date.csv"] = new(Validated, Accepted: 4, OffDate: 2),
        ["orders/cr_only_line_endings.csv"] = new(Quarantined, "bare_cr_line_endings"),
        ["orders/tab_delimited.csv"] = new(Quarantined, "wrong_delimiter"),
        ["orders/utf16le.csv"] = new(Quarantined, "not_utf8"),
        ["orders/html_error_page.csv"] = new(Quarantined, "missing_required_columns"),
        ["orders/json_instead_of_csv.csv"] = new(Quarantined, "missing_required_columns"),
        ["orders/excel_empty_rows.csv"] = new(Validated, Accepted: 3, Rejected: "required_field_empty=2", RejectedLines: [3, 6]),
        ["orders/missing_user_column.csv"] = new(Quarantined, "missing_required_columns"),
        ["orders/returned_status_any_case.csv"] = new(Validated, Accepted: 3, Rejected: "invalid_timestamp=1", RejectedLines: [4]),

        ["order_items/semicolon.csv"] = new(Quarantined, "wrong_delimiter"),
        ["order_items/quoted_newlines.csv"] = new(Validated, Accepted: 4, Rejected: "negative_amount=1", RejectedLines: [6]),
        ["order_items/unbalanced_quote.csv"] = new(Validated, Accepted: 4, Rejected: "unterminated_quote=1", RejectedLines: [3]),
        ["order_items/text_after_quote.csv"] = new(Validated, Accepted: 3, Rejected: "text_after_quote=1", RejectedLines: [3]),
        ["order_items/thousands_separator_unquoted.csv"] = new(Validated, Accepted: 3, Rejected: "field_count_mismatch=1", RejectedLines: [2]),
        ["order_items/thousands_separator_quoted.csv"] = new(Validated, Accepted: 3, Rejected: "not_a_number=1", RejectedLines: [2]),
        ["order_items/nan_and_infinity.csv"] = new(Validated, Accepted: 4, Rejected: "number_not_finite=4", RejectedLines: [2, 3, 4, 5]),
        ["order_items/exponent_currency_decimal_comma.csv"] = new(Validated, Accepted: 4, Rejected: "not_a_number=4", RejectedLines: [2, 3, 4, 5]),
        ["order_items/negative_zero.csv"] = new(Validated, Accepted: 4),
        ["order_items/negative_price.csv"] = new(Validated, Accepted: 3, Rejected: "negative_amount=1", RejectedLines: [2]),
        ["order_items/bad_quantities.csv"] = new(Validated, Accepted: 5, Rejected: "invalid_quantity=4", RejectedLines: [2, 3, 4, 5]),
        ["order_items/trailing_delimiter_rows_only.csv"] = new(Quarantined, "rejected_fraction_exceeded", Rejected: "field_count_mismatch=4"),
        ["order_items/trailing_delimiter_everywhere.csv"] = new(Validated, Accepted: 4),
        ["order_items/one_mb_line.csv"] = new(Validated, Accepted: 3, Rejected: "record_too_long=1", RejectedLines: [3]),
        ["order_items/latin1.csv"] = new(Quarantined, "not_utf8"),
        ["order_items/nul_bytes.csv"] = new(Quarantined, "not_utf8"),
        ["order_items/duplicate_header.csv"] = new(Quarantined, "duplicate_header"),
        ["order_items/ambiguous_price_aliases.csv"] = new(Quarantined, "ambiguous_columns"),
        ["order_items/canonical_beats_alias.csv"] = new(Validated, Accepted: 3),
        ["order_items/missing_sale_price.csv"] = new(Quarantined, "missing_required_columns"),
        ["order_items/empty_item_id.csv"] = new(Validated, Accepted: 3, Rejected: "required_field_empty=2", RejectedLines: [3, 4]),
        ["order_items/unknown_order.csv"] = new(Validated, Accepted: 3, Rejected: "unknown_order=1", RejectedLines: [3]),
        ["order_items/unknown_product.csv"] = new(Validated, Accepted: 3, Rejected: "unknown_product=1", RejectedLines: [3]),
        ["order_items/truncated_upload.csv"] = new(Validated, Accepted: 3, Rejected: "field_count_mismatch=1", RejectedLines: [5]),
        ["order_items/no_id_column_identical_rows.csv"] = new(Validated, Accepted: 3, Rejected: "duplicate_identical=1", RejectedLines: [4]),
        ["order_items/over_rejected_fraction.csv"] = new(Quarantined, "rejected_fraction_exceeded", Rejected: "negative_amount=1,not_a_number=1", MaxRejectedFraction: 0.05),
        ["order_items/all_fields_quoted.csv"] = new(Validated, Accepted: 3),
        ["order_items/whitespace_around_values.csv"] = new(Validated, Accepted: 3),
        ["order_items/excel_trailing_empty_columns.csv"] = new(Validated, Accepted: 4),
        ["order_items/field_count_short_and_long.csv"] = new(Validated, Accepted: 3, Rejected: "field_count_mismatch=2", RejectedLines: [3, 4]),

        ["products/quoted_categories_non_ascii.csv"] = new(Validated, Accepted: 7),
        ["products/negative_cost_and_infinity.csv"] = new(Validated, Accepted: 5, Rejected: "negative_amount=1,number_not_finite=1", RejectedLines: [7, 8]),
        ["products/latin1.csv"] = new(Quarantined, "not_utf8", Outcome: BatchOutcome.Rejected),
        ["products/duplicate_product_ids.csv"] = new(Validated, Accepted: 5, Rejected: "duplicate_identical=1,duplicate_key_conflict=1", RejectedLines: [7, 8]),
        ["products/product_id_alias.csv"] = new(Validated, Accepted: 5),
        // Product 1 repeated padded and quoted is the same row; product 3's two rows join to the same text
        // ("Tee,Acme" + "" against "Tee" + "Acme,") but are different rows.
        ["products/repeats_written_differently.csv"] = new(Validated, Accepted: 5, Rejected: "duplicate_identical=2,duplicate_key_conflict=1", RejectedLines: [3, 5, 7]),
    };

    public static TheoryData<string> Files => [.. Cases.Keys];

    [Fact]
    public void Corpus_EveryFileHasACaseAndThereAreAtLeastThirty()
    {
        var root = Path.Combine(AppContext.BaseDirectory, "Corpus");
        var files = Directory.EnumerateFiles(root, "*.csv", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(root, p).Replace(Path.DirectorySeparatorChar, '/'))
            .Order(StringComparer.Ordinal);

        Assert.Equal(Cases.Keys.Order(StringComparer.Ordinal), files);
        Assert.True(Cases.Count >= 30);
    }

    [Theory]
    [MemberData(nameof(Files))]
    public async Task ValidateAsync_CorpusFile_HasItsExactOutcome(string name)
    {
        var expected = Cases[name];
        var content = await File.ReadAllBytesAsync(Path.Combine(AppContext.BaseDirectory, "Corpus", name));
        using var lake = new TestLake();
        lake.WithStandardBatch();
        var dataset = name.Split('/')[0];
        var key = dataset switch
        {
            "orders" => TestLake.OrdersKey("corpus.csv"),
            "order_items" => TestLake.ItemsKey("corpus.csv"),
            _ => LakeLayout.ProductsKey,
        };
        lake.Put(key, content);

        var result = await lake.ValidateAsync(lake.WriteManifest(), new ValidationOptions { MaxRejectedFraction = expected.MaxRejectedFraction });

        var file = result.Files.Single(f => f.Key == key);
        Assert.Equal(expected.Disposition, file.Disposition);
        Assert.Equal(expected.FileRule, file.FileError?.Rule.Id);
        Assert.Equal(expected.Accepted, file.Accepted);
        Assert.Equal(ParseCounts(expected.Rejected), file.RejectedByRule);
        Assert.Equal(expected.BlankLines, file.BlankLines);
        Assert.Equal(expected.OffDate, file.OffDateRows);
        Assert.Equal(expected.Outcome, result.Outcome);
        if (file.Disposition == Validated)
        {
            Assert.Equal(file.Accepted, (await lake.DataRecordsAsync(file.Destination!)).Count);
            var rejects = file.RejectsKey is null ? [] : await lake.RejectsAsync(file.RejectsKey);
            Assert.Equal(expected.RejectedLines ?? [], rejects.Select(r => r.Line));
            Assert.Equal(file.RowsRead, file.Accepted + file.Rejected);
        }
        else
        {
            Assert.True(lake.Exists(file.ErrorsKey!));
            if (file.Dataset != Dataset.Products)
                Assert.Equal(content, lake.ReadBytes(file.Destination!));
        }
    }

    private static Dictionary<string, long> ParseCounts(string counts) =>
        counts.Length == 0
            ? []
            : counts.Split(',').Select(p => p.Split('=')).ToDictionary(p => p[0], p => long.Parse(p[1], CultureInfo.InvariantCulture));
}
