namespace KpiPipeline.Validation;

/// <summary>
/// The catalogue of every rule the validator applies. Messages live here and nowhere else, so a
/// rejection anywhere reads the same and the README can list them from one place.
/// </summary>
public static class ValidationRules
{
    // File level: the whole file is quarantined.
    public static readonly ValidationRule FileMissing = new("file_missing", RuleLevel.File,
        "The manifest lists a file that is in none of raw/, validated/, processed/ or invalid/.",
        "the object listed in the manifest");

    public static readonly ValidationRule FileTooLarge = new("file_too_large", RuleLevel.File,
        "The file is larger than the configured limit.",
        "at most the configured size");

    public static readonly ValidationRule EmptyFile = new("empty_file", RuleLevel.File,
        "The file has no header row (zero bytes, only a byte order mark, or only blank lines).",
        "a header row and data rows");

    public static readonly ValidationRule NotUtf8 = new("not_utf8", RuleLevel.File,
        "The file is not UTF-8 text: an invalid byte sequence (Latin-1, Windows-1252), UTF-16, or NUL bytes.",
        "UTF-8 text");

    public static readonly ValidationRule MalformedHeader = new("malformed_header", RuleLevel.File,
        "The header row cannot be split into names (a broken quote, or longer than the record limit).",
        "a header row of delimiter-separated names");

    public static readonly ValidationRule WrongDelimiter = new("wrong_delimiter", RuleLevel.File,
        "The header splits into the required columns on another delimiter (semicolon, tab, pipe) but not on commas.",
        "comma-separated values");

    public static readonly ValidationRule BareCarriageReturns = new("bare_cr_line_endings", RuleLevel.File,
        "Lines end with a carriage return alone (classic Mac OS), so the whole file reads as one line.",
        "lines ending in LF or CRLF");

    public static readonly ValidationRule MissingRequiredColumns = new("missing_required_columns", RuleLevel.File,
        "A required column is named by no header (by its canonical name or an alias).",
        "every required column");

    public static readonly ValidationRule DuplicateHeader = new("duplicate_header", RuleLevel.File,
        "Two header fields have the same name (case-insensitively), so which one holds the data is unknown.",
        "distinct header names");

    public static readonly ValidationRule AmbiguousColumns = new("ambiguous_columns", RuleLevel.File,
        "Two aliases of the same column are both present (price and unit_price) and neither is the canonical name.",
        "one header per column");

    public static readonly ValidationRule NoDataRows = new("no_data_rows", RuleLevel.File,
        "The file has a header but no data rows.",
        "at least one data row");

    public static readonly ValidationRule RejectedFractionExceeded = new("rejected_fraction_exceeded", RuleLevel.File,
        "More rows were rejected than the configured fraction allows (identical duplicates count too), so the file is suspect as a whole.",
        "a rejected fraction at most the configured maximum");

    public static readonly ValidationRule ExpectationNotMet = new("expectation_not_met", RuleLevel.File,
        "A frame-level check of the file's profile is beyond its hard bound (share of returned orders, items per order, dates far from the batch date, duplicate SKUs, ...), so the file is suspect as a whole.",
        "every expectation within its hard bound");

    // Row level: the row is rejected, the rest of the file goes on.
    public static readonly ValidationRule UnterminatedQuote = new("unterminated_quote", RuleLevel.Row,
        "A quoted field is never closed; the row is the line the quote opened on.",
        "balanced double quotes");

    public static readonly ValidationRule TextAfterQuote = new("text_after_quote", RuleLevel.Row,
        "Characters follow a closing quote before the next delimiter (\"ab\"c).",
        "a delimiter or line end after a closing quote");

    public static readonly ValidationRule RecordTooLong = new("record_too_long", RuleLevel.Row,
        "The row is longer than the configured record limit.",
        "a row within the record limit");

    public static readonly ValidationRule FieldCountMismatch = new("field_count_mismatch", RuleLevel.Row,
        "The row has a different number of fields than the header (a stray or missing delimiter, an unquoted comma).",
        "as many fields as the header");

    public static readonly ValidationRule RequiredFieldEmpty = new("required_field_empty", RuleLevel.Row,
        "A required field, or a key column the file has (the order item id), is empty.",
        "a value");

    public static readonly ValidationRule NotANumber = new("not_a_number", RuleLevel.Row,
        "A number is not plain decimal notation (thousands separators, decimal commas, currency symbols, exponents, text).",
        "a plain decimal number such as 12.50");

    public static readonly ValidationRule NumberNotFinite = new("number_not_finite", RuleLevel.Row,
        "A number is NaN, infinite, or too large to be finite (1e309).",
        "a finite number");

    public static readonly ValidationRule NegativeAmount = new("negative_amount", RuleLevel.Row,
        "A price or cost is negative.",
        "zero or more");

    public static readonly ValidationRule AmountOutOfRange = new("amount_out_of_range", RuleLevel.Row,
        "A price or cost is 10^12 or more, beyond what the KPIs sum exactly (the curated data holds DECIMAL(18,6)).",
        "less than 1000000000000");

    public static readonly ValidationRule TooManyDecimalPlaces = new("too_many_decimal_places", RuleLevel.Row,
        "A price or cost has more than 6 decimal places (trailing zeros aside); the curated data holds 6.",
        "at most 6 decimal places");

    public static readonly ValidationRule InvalidQuantity = new("invalid_quantity", RuleLevel.Row,
        "A quantity is not a whole number of at least 1 (zero, negative, a fraction, text).",
        "a whole number from 1 to 1000000");

    public static readonly ValidationRule QuantityOutOfRange = new("quantity_out_of_range", RuleLevel.Row,
        "A quantity is a whole number above 1,000,000, beyond what one order line can plausibly hold and the KPIs sum exactly.",
        "a whole number from 1 to 1000000");

    public static readonly ValidationRule InvalidTimestamp = new("invalid_timestamp", RuleLevel.Row,
        "A timestamp is not ISO-8601 (date, or date and time with optional fraction and zone) or not a real date.",
        "ISO-8601 such as 2024-01-31T09:30:00Z or 2024-01-31");

    public static readonly ValidationRule TimestampTooEarly = new("timestamp_too_early", RuleLevel.Row,
        "A timestamp is before the earliest plausible date.",
        "on or after the earliest plausible date");

    public static readonly ValidationRule TimestampInFuture = new("timestamp_in_future", RuleLevel.Row,
        "A timestamp is more than the allowed tolerance after the validation time.",
        "not after the validation time plus the tolerance");

    public static readonly ValidationRule DuplicateKeyConflict = new("duplicate_key_conflict", RuleLevel.Row,
        "The key (order_id, order item id, product id) already occurred in the batch with different values; the first occurrence is kept.",
        "a key that is unique in the batch");

    public static readonly ValidationRule DuplicateIdentical = new("duplicate_identical", RuleLevel.Row,
        "The row repeats an earlier row of the batch exactly (same key and values); it is dropped so it counts once.",
        "a row that occurs once in the batch");

    public static readonly ValidationRule UnknownOrder = new("unknown_order", RuleLevel.Row,
        "An order item's order_id is among no accepted order of the batch.",
        "an order_id of an accepted order of the batch");

    public static readonly ValidationRule UnknownProduct = new("unknown_product", RuleLevel.Row,
        "An order item's product_id is among no accepted product.",
        "a product_id of an accepted product");

    public static IReadOnlyList<ValidationRule> All { get; } =
    [
        FileMissing, FileTooLarge, EmptyFile, NotUtf8, MalformedHeader, WrongDelimiter, BareCarriageReturns,
        MissingRequiredColumns, DuplicateHeader, AmbiguousColumns, NoDataRows, RejectedFractionExceeded, ExpectationNotMet,
        UnterminatedQuote, TextAfterQuote, RecordTooLong, FieldCountMismatch, RequiredFieldEmpty, NotANumber,
        NumberNotFinite, NegativeAmount, AmountOutOfRange, TooManyDecimalPlaces, InvalidQuantity, QuantityOutOfRange,
        InvalidTimestamp, TimestampTooEarly, TimestampInFuture,
        DuplicateKeyConflict, DuplicateIdentical, UnknownOrder, UnknownProduct,
    ];

    public static ValidationRule? Find(string id) => All.FirstOrDefault(r => r.Id == id);
}
