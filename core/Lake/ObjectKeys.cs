namespace KpiPipeline.Lake;

/// <summary>
/// What makes a key a key inside the lake, judged by its '/'-separated segments: no empty segment, no
/// <c>.</c> or <c>..</c> segment, not an absolute path. A name that merely contains dots (<c>v1..2.csv</c>)
/// is an ordinary key, on S3 and in a local folder alike.
/// </summary>
public static class ObjectKeys
{
    /// <summary>Why <paramref name="key"/> is not a key inside the lake, or null when it is one.</summary>
    public static string? Problem(string? key)
    {
        if (string.IsNullOrEmpty(key))
            return "the key is empty";
        if (key[0] is '/' or '\\' || Path.IsPathRooted(key))
            return "it is an absolute path";
        if (key.Contains('\0', StringComparison.Ordinal))
            return "it contains a NUL character";
        var start = 0;
        while (true)
        {
            var end = key.IndexOf('/', start);
            var segment = key.AsSpan(start, (end < 0 ? key.Length : end) - start);
            if (segment.IsEmpty)
                return end < 0 ? "it ends with '/' (a folder, not an object)" : "it has an empty path segment ('//')";
            if (segment is "." or "..")
                return $"it has '{segment}' as a path segment";
            if (end < 0)
                return null;
            start = end + 1;
        }
    }

    /// <exception cref="InvalidObjectKeyException">The key is not a key inside the lake.</exception>
    public static void Validate(string? key)
    {
        if (Problem(key) is { } problem)
            throw new InvalidObjectKeyException(key ?? "", problem);
    }
}

/// <summary>A key that names no object inside the lake (<c>raw/orders/2024-03-01/..</c>, <c>/etc/passwd</c>): a data problem, not a bug.</summary>
public sealed class InvalidObjectKeyException(string key, string problem)
    : ArgumentException($"'{key}' is not a key inside the lake: {problem}.")
{
    public string Key { get; } = key;

    public string Problem { get; } = problem;
}
