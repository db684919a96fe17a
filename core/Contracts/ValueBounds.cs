namespace KpiPipeline.Contracts;

/// <summary>
/// The largest values the validator accepts. With them one line's revenue (price × quantity) stays below
/// 10^18 and fits the curated data's DECIMAL(18,6), and a day's sums stay far inside <see cref="decimal"/>.
/// </summary>
public static class ValueBounds
{
    /// <summary>Prices and costs are below 10^12: at most twelve digits before the decimal point.</summary>
    public const int AmountIntegerDigits = 12;

    /// <summary>Prices and costs have at most six decimal places (trailing zeros aside).</summary>
    public const int AmountDecimalPlaces = 6;

    /// <summary>Prices and costs are below this (exclusive).</summary>
    public const decimal AmountLimit = 1_000_000_000_000m;

    /// <summary>The smallest quantity.</summary>
    public const int MinQuantity = 1;

    /// <summary>The largest quantity of one order line.</summary>
    public const int MaxQuantity = 1_000_000;
}

/// <summary>What <see cref="Values.ParseAmount"/> found.</summary>
public enum AmountStatus
{
    Valid,

    /// <summary>Not plain decimal notation.</summary>
    NotANumber,

    /// <summary>10^12 or more.</summary>
    TooLarge,

    /// <summary>More than six decimal places that are not zeros.</summary>
    TooPrecise,
}
