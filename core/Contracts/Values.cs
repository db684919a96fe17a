using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;

namespace KpiPipeline.Contracts;

/// <summary>
/// Parsers for field values straight from UTF-8 bytes. Each is strict: it accepts the documented forms
/// and nothing else, so a value either parses exactly or is rejected with a reason.
/// </summary>
public static class Values
{
    /// <summary>Plain decimal notation: optional sign, digits, optional fraction. No exponent, no thousands separator, no NaN.</summary>
    public static bool TryParseDecimal(ReadOnlySpan<byte> utf8, out decimal value)
    {
        utf8 = Trim(utf8);
        value = 0;
        if (utf8.IsEmpty)
            return false;
        var negative = utf8[0] == (byte)'-';
        var i = utf8[0] is (byte)'-' or (byte)'+' ? 1 : 0;
        var digits = 0;
        var dots = 0;
        var scale = 0;
        ulong mantissa = 0;
        for (; i < utf8.Length; i++)
        {
            var b = utf8[i];
            if (b is >= (byte)'0' and <= (byte)'9')
            {
                digits++;
                mantissa = unchecked((mantissa * 10) + (uint)(b - '0'));
                scale += dots;
            }
            else if (b == (byte)'.' && dots == 0)
            {
                dots++;
            }
            else
            {
                return false;
            }
        }
        if (digits == 0 || digits > 28)
            return false;
        if (digits <= 19 && mantissa <= long.MaxValue)
        {
            // The common case, built directly: decimal.TryParse costs more than the rest of a row's checks.
            value = new decimal((int)(uint)mantissa, (int)(uint)(mantissa >> 32), 0, negative, (byte)scale);
            return true;
        }
        return decimal.TryParse(utf8, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>
    /// A price or cost within <see cref="ValueBounds"/>: plain decimal notation as <see cref="TryParseDecimal"/> reads it,
    /// at most <see cref="ValueBounds.AmountIntegerDigits"/> digits before the point (leading zeros aside) and at most
    /// <see cref="ValueBounds.AmountDecimalPlaces"/> after it (trailing zeros aside: <c>1.5000000</c> is 1.5). The
    /// sign is parsed, not judged: a negative value comes back as <see cref="AmountStatus.Valid"/> (or out of range)
    /// with <paramref name="negative"/> set, so the caller names the rule it breaks.
    /// </summary>
    public static AmountStatus ParseAmount(ReadOnlySpan<byte> utf8, out decimal value, out bool negative)
    {
        utf8 = Trim(utf8);
        value = 0;
        negative = false;
        if (utf8.IsEmpty)
            return AmountStatus.NotANumber;
        negative = utf8[0] == (byte)'-';
        var start = utf8[0] is (byte)'-' or (byte)'+' ? 1 : 0;
        var point = -1;
        var digits = 0;
        var firstSignificant = -1;     // the first non-zero digit
        var lastNonZero = -1;
        ulong mantissa = 0;
        for (var i = start; i < utf8.Length; i++)
        {
            var b = utf8[i];
            if (b is >= (byte)'0' and <= (byte)'9')
            {
                digits++;
                mantissa = unchecked((mantissa * 10) + (uint)(b - '0'));
                if (b != (byte)'0')
                {
                    lastNonZero = i;
                    if (firstSignificant < 0)
                        firstSignificant = i;
                }
            }
            else if (b == (byte)'.' && point < 0)
            {
                point = i;
            }
            else
            {
                return AmountStatus.NotANumber;
            }
        }
        if (digits == 0)
            return AmountStatus.NotANumber;
        var end = point < 0 ? utf8.Length : point;
        var integerDigits = firstSignificant >= 0 && firstSignificant < end ? end - firstSignificant : 0;
        if (integerDigits > ValueBounds.AmountIntegerDigits)
            return AmountStatus.TooLarge;
        var decimalPlaces = point >= 0 && lastNonZero > point ? lastNonZero - point : 0;
        if (decimalPlaces > ValueBounds.AmountDecimalPlaces)
            return AmountStatus.TooPrecise;
        var scale = point < 0 ? 0 : utf8.Length - point - 1;
        if (digits <= 19)
        {
            // As TryParseDecimal builds it, scale (trailing zeros) included.
            value = new decimal((int)(uint)mantissa, (int)(uint)(mantissa >> 32), 0, negative, (byte)scale);
            return AmountStatus.Valid;
        }
        // Padded with zeros beyond 19 digits: only the significant digits (at most 18 here) make the value.
        mantissa = 0;
        var from = firstSignificant >= 0 ? Math.Min(firstSignificant, end) : end;
        var to = point >= 0 ? point + decimalPlaces : end - 1;
        for (var i = from; i <= to; i++)
        {
            if (utf8[i] != (byte)'.')
                mantissa = (mantissa * 10) + (uint)(utf8[i] - '0');
        }
        value = new decimal((int)(uint)mantissa, (int)(uint)(mantissa >> 32), 0, negative, (byte)decimalPlaces);
        return AmountStatus.Valid;
    }

    /// <summary>A whole number written with digits only (an optional leading '+').</summary>
    public static bool TryParseInteger(ReadOnlySpan<byte> utf8, out long value)
    {
        utf8 = Trim(utf8);
        if (!utf8.IsEmpty && utf8[0] == (byte)'+')
            utf8 = utf8[1..];
        value = 0;
        if (utf8.IsEmpty)
            return false;
        if (utf8.Length > 18)
            return long.TryParse(utf8, NumberStyles.None, CultureInfo.InvariantCulture, out value);
        foreach (var b in utf8)
        {
            if (b is < (byte)'0' or > (byte)'9')
                return false;
            value = (value * 10) + (b - '0');
        }
        return true;
    }

    /// <summary>
    /// ISO-8601: <c>YYYY-MM-DD</c>, or a date and time (separated by <c>T</c> or a space) with optional seconds
    /// and fractional seconds and an optional zone (<c>Z</c>, <c>±HH:MM</c>, <c>±HHMM</c>, <c>±HH</c>, or
    /// <c> UTC</c>). A time without a zone is taken as UTC. The result is in UTC.
    /// </summary>
    public static bool TryParseTimestamp(ReadOnlySpan<byte> utf8, out DateTime utc)
    {
        utc = default;
        utf8 = Trim(utf8);
        if (utf8.Length < 10
            || !TryDigits(utf8, 0, 4, out var year) || utf8[4] != (byte)'-'
            || !TryDigits(utf8, 5, 2, out var month) || utf8[7] != (byte)'-'
            || !TryDigits(utf8, 8, 2, out var day)
            || year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month))
            return false;
        if (utf8.Length == 10)
        {
            utc = new DateTime(year, month, day, 0, 0, 0, DateTimeKind.Utc);
            return true;
        }
        if (utf8[10] is not ((byte)'T' or (byte)' ') || utf8.Length < 16
            || !TryDigits(utf8, 11, 2, out var hour) || utf8[13] != (byte)':'
            || !TryDigits(utf8, 14, 2, out var minute)
            || hour > 23 || minute > 59)
            return false;
        var position = 16;
        var second = 0;
        long ticks = 0;
        if (position < utf8.Length && utf8[position] == (byte)':')
        {
            if (!TryDigits(utf8, position + 1, 2, out second) || second > 59)
                return false;
            position += 3;
            if (position < utf8.Length && utf8[position] is (byte)'.' or (byte)',')
            {
                position++;
                var fractionDigits = 0;
                long scale = TimeSpan.TicksPerSecond;
                while (position < utf8.Length && utf8[position] is >= (byte)'0' and <= (byte)'9')
                {
                    if (fractionDigits < 7)
                    {
                        scale /= 10;
                        ticks += (utf8[position] - '0') * scale;
                    }
                    fractionDigits++;
                    position++;
                }
                if (fractionDigits == 0)
                    return false;
            }
        }
        var offset = TimeSpan.Zero;
        var zone = utf8[position..];
        if (zone.Length > 0 && !TryParseZone(zone, out offset))
            return false;
        var local = new DateTime(year, month, day, hour, minute, second, DateTimeKind.Unspecified).AddTicks(ticks);
        utc = DateTime.SpecifyKind(local - offset, DateTimeKind.Utc);
        return true;
    }

    private static bool TryParseZone(ReadOnlySpan<byte> zone, out TimeSpan offset)
    {
        offset = TimeSpan.Zero;
        if (zone is [(byte)'Z'] or [(byte)'z'] || zone.SequenceEqual(" UTC"u8) || zone.SequenceEqual("UTC"u8))
            return true;
        if (zone[0] is not ((byte)'+' or (byte)'-'))
            return false;
        var sign = zone[0] == (byte)'-' ? -1 : 1;
        zone = zone[1..];
        int hours, minutes = 0;
        switch (zone.Length)
        {
            case 2 when TryDigits(zone, 0, 2, out hours):
                break;
            case 4 when TryDigits(zone, 0, 2, out hours) && TryDigits(zone, 2, 2, out minutes):
                break;
            case 5 when TryDigits(zone, 0, 2, out hours) && zone[2] == (byte)':' && TryDigits(zone, 3, 2, out minutes):
                break;
            default:
                return false;
        }
        if (hours > 18 || minutes > 59)
            return false;
        offset = new TimeSpan(sign * hours, sign * minutes, 0);
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool TryDigits(ReadOnlySpan<byte> s, int start, int count, out int value)
    {
        value = 0;
        if (start + count > s.Length)
            return false;
        for (var i = start; i < start + count; i++)
        {
            var b = s[i];
            if (b is < (byte)'0' or > (byte)'9')
                return false;
            value = (value * 10) + (b - '0');
        }
        return true;
    }

    /// <summary>True for the "Returned" status, in any case and with surrounding spaces.</summary>
    public static bool IsReturnedStatus(ReadOnlySpan<byte> utf8) => Ascii.EqualsIgnoreCase(Trim(utf8), "Returned"u8);

    /// <summary>The value without leading and trailing spaces and tabs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ReadOnlySpan<byte> Trim(ReadOnlySpan<byte> utf8) =>
        // Values are rarely padded: the ends are tested inline, once per field of every row read.
        utf8.IsEmpty || (utf8[0] is not ((byte)' ' or (byte)'\t') && utf8[^1] is not ((byte)' ' or (byte)'\t')) ? utf8 : TrimPadded(utf8);

    private static ReadOnlySpan<byte> TrimPadded(ReadOnlySpan<byte> utf8)
    {
        var start = 0;
        var end = utf8.Length;
        while (start < end && utf8[start] is (byte)' ' or (byte)'\t')
            start++;
        while (end > start && utf8[end - 1] is (byte)' ' or (byte)'\t')
            end--;
        return utf8[start..end];
    }
}
