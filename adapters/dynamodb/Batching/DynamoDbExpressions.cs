using System.Globalization;
using System.Text.RegularExpressions;
using Amazon.DynamoDBv2.Model;

namespace KpiPipeline.Batching;

/// <summary>
/// Builds DynamoDB expressions where every attribute name is written <c>#name</c>: several of ours
/// (<c>status</c>, <c>owner</c>, …) are reserved words, so all go through ExpressionAttributeNames.
/// </summary>
public static partial class DynamoDbExpressions
{
    public static Dictionary<string, string> NamesIn(params string?[] expressions)
    {
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var expression in expressions)
        {
            if (expression is null)
                continue;
            foreach (Match match in NamePattern().Matches(expression))
                names[match.Value] = match.Value[1..];
        }
        return names;
    }

    public static AttributeValue S(string value) => new() { S = value };

    public static AttributeValue N(long value) => new() { N = value.ToString(CultureInfo.InvariantCulture) };

    public static AttributeValue Bool(bool value) => new() { BOOL = value };

    public static AttributeValue Set(IEnumerable<string> values) => new() { SS = values.Order(StringComparer.Ordinal).ToList() };

    public static AttributeValue Time(DateTimeOffset time) => S(time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));

    [GeneratedRegex(@"#[A-Za-z_][A-Za-z0-9_]*")]
    private static partial Regex NamePattern();
}
