using System.Text;
using KpiPipeline.Contracts;

namespace KpiPipeline.Core.Tests.Contracts;

public sealed class ValuesTests
{
    [Theory]
    [InlineData("2024-03-01", "2024-03-01T00:00:00.0000000Z")]
    [InlineData("2024-03-01T10:20:30Z", "2024-03-01T10:20:30.0000000Z")]
    [InlineData("2024-03-01T10:20:30.1234567Z", "2024-03-01T10:20:30.1234567Z")]
    [InlineData("2024-03-01T10:20:30.123456789Z", "2024-03-01T10:20:30.1234567Z")]
    [InlineData("2024-03-01 10:20:30+02:00", "2024-03-01T08:20:30.0000000Z")]
    [InlineData("2024-03-01T23:30:00-01:00", "2024-03-02T00:30:00.0000000Z")]
    [InlineData("2024-03-01T10:20:30+0530", "2024-03-01T04:50:30.0000000Z")]
    [InlineData("2024-03-01T10:20", "2024-03-01T10:20:00.0000000Z")]
    [InlineData("2019-01-23 07:26:00 UTC", "2019-01-23T07:26:00.0000000Z")]
    [InlineData(" 2024-02-29 ", "2024-02-29T00:00:00.0000000Z")]
    public void TryParseTimestamp_IsoForms_GiveUtc(string text, string expected)
    {
        Assert.True(Values.TryParseTimestamp(Encoding.UTF8.GetBytes(text), out var utc));
        Assert.Equal(DateTimeKind.Utc, utc.Kind);
        Assert.Equal(expected, utc.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData("")]
    [InlineData("2023-02-29")]
    [InlineData("2024-13-01")]
    [InlineData("01/03/2024")]
    [InlineData("2024-03-01T25:00:00Z")]
    [InlineData("2024-03-01T10:20:30.Z")]
    [InlineData("2024-03-01T10:20:30+25:00")]
    [InlineData("2024-03-01T10:20:30 PST")]
    [InlineData("1709288430")]
    public void TryParseTimestamp_OtherText_IsRejected(string text) =>
        Assert.False(Values.TryParseTimestamp(Encoding.UTF8.GetBytes(text), out _));

    [Theory]
    [InlineData("12.50", "12.50")]
    [InlineData("-0", "0")]
    [InlineData("+3", "3")]
    [InlineData(" 7.25 ", "7.25")]
    [InlineData("0.1", "0.1")]
    public void TryParseDecimal_PlainDecimals_AreExact(string text, string expected)
    {
        Assert.True(Values.TryParseDecimal(Encoding.UTF8.GetBytes(text), out var value));
        Assert.Equal(decimal.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), value);
    }

    [Theory]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    [InlineData("1e309")]
    [InlineData("1,234.50")]
    [InlineData("12,5")]
    [InlineData("$5")]
    [InlineData("1.2.3")]
    [InlineData("-")]
    [InlineData("")]
    public void TryParseDecimal_NonPlainNumbers_AreRejected(string text) =>
        Assert.False(Values.TryParseDecimal(Encoding.UTF8.GetBytes(text), out _));

    [Theory]
    [InlineData("Returned", true)]
    [InlineData(" returned ", true)]
    [InlineData("RETURNED", true)]
    [InlineData("Return", false)]
    [InlineData("", false)]
    public void IsReturnedStatus_AnyCase(string text, bool expected) =>
        Assert.Equal(expected, Values.IsReturnedStatus(Encoding.UTF8.GetBytes(text)));
}
