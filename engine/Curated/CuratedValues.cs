namespace KpiPipeline.Curated;

/// <summary>Conversions between .NET values and the curated columns' physical forms (Parquet DATE, DECIMAL(18,6), TIMESTAMP micros).</summary>
internal static class CuratedValues
{
    public const int PriceScale = 6;
    public const long PriceFactor = 1_000_000;

    /// <summary>DECIMAL(18,6) holds 18 digits: prices below 10^12 with six decimal places (the validator's bound).</summary>
    public const long MaxMillionths = 999_999_999_999_999_999;

    private static readonly int EpochDayNumber = DateOnly.FromDateTime(DateTime.UnixEpoch).DayNumber;

    public static int ToEpochDay(DateOnly date) => date.DayNumber - EpochDayNumber;

    public static DateOnly FromEpochDay(int days) => DateOnly.FromDayNumber(days + EpochDayNumber);

    public static long ToEpochMicros(DateTime utc) => (utc.Ticks - DateTime.UnixEpoch.Ticks) / 10;

    public static DateTime FromEpochMicros(long micros) => new(DateTime.UnixEpoch.Ticks + (micros * 10), DateTimeKind.Utc);

    /// <summary>The UTC date of a timestamp in epoch microseconds, as days since the epoch.</summary>
    public static int EpochDayOf(long micros)
    {
        var (days, remainder) = Math.DivRem(micros, MicrosPerDay);
        return (int)(remainder < 0 ? days - 1 : days);
    }

    public const long MicrosPerDay = 86_400_000_000;

    /// <summary>The exact number of millionths in <paramref name="value"/>; false when it has more than 6 decimal places or 18 digits.</summary>
    public static bool TryToMillionths(decimal value, out long millionths)
    {
        millionths = 0;
        if (value.Scale > PriceScale && decimal.Round(value, PriceScale) != value)
            return false;
        var scaled = value * PriceFactor;
        if (scaled is > MaxMillionths or < -MaxMillionths)
            return false;
        millionths = (long)scaled;
        return true;
    }

    /// <summary>
    /// The millionths of a price written plainly (digits, then optionally a point and 1-6 digits, at most 12
    /// before the point), read straight from its text: the usual form, and no decimal is built for it. False for
    /// any other form (a sign, more places, more digits, a bare point), which the caller reads as a decimal instead.
    /// </summary>
    public static bool TryParsePlainMillionths(ReadOnlySpan<byte> utf8, out long millionths)
    {
        millionths = 0;
        var value = 0L;
        var i = 0;
        for (; i < utf8.Length; i++)
        {
            var digit = (uint)(utf8[i] - '0');
            if (digit > 9)
                break;
            value = (value * 10) + digit;
        }
        // 12 digits before the point and 6 after stay below 10^18: within DECIMAL(18,6) and a long.
        if (i == 0 || i > 12)
            return false;
        var places = 0;
        if (i < utf8.Length)
        {
            if (utf8[i] != (byte)'.' || i == utf8.Length - 1)
                return false;
            for (i++; i < utf8.Length; i++)
            {
                var digit = (uint)(utf8[i] - '0');
                if (digit > 9 || ++places > PriceScale)
                    return false;
                value = (value * 10) + digit;
            }
        }
        millionths = value * PowersOfTen[PriceScale - places];
        return true;
    }

    private static readonly long[] PowersOfTen = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000];

    public static decimal FromMillionths(long millionths)
    {
        var magnitude = (ulong)Math.Abs(millionths);
        return new decimal((int)(uint)magnitude, (int)(uint)(magnitude >> 32), 0, millionths < 0, PriceScale);
    }
}
