namespace KpiPipeline.SparkJob.SparkConnect;

/// <summary>
/// Local folders written the way Hadoop's <c>new Path(String)</c> reads them back. That constructor splits off a
/// scheme and an authority by hand and takes the rest as the path, verbatim: it decodes no percent-escapes and has
/// no query or fragment, so <c>file:///data/my lake/</c> is the folder "/data/my lake/" while a URI's
/// <c>file:///data/my%20lake/</c> would be a folder literally named "my%20lake".
/// </summary>
public static class HadoopPath
{
    /// <summary>Spark expands a path holding any of these as a glob pattern (SparkHadoopUtil.isGlobPath).</summary>
    private const string GlobCharacters = "{}[]*?\\";

    /// <summary>The <c>file://</c> path of <paramref name="folder"/> (made absolute), ending in '/'.</summary>
    /// <exception cref="ArgumentException">The absolute path holds a character Spark would read as a glob.</exception>
    public static string FromLocalFolder(string folder)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        var path = Path.GetFullPath(folder);
        if (Path.DirectorySeparatorChar == '\\')
            path = path.Replace('\\', '/');
        var glob = path.IndexOfAny(GlobCharacters.ToCharArray());
        if (glob >= 0)
            throw new ArgumentException($"Spark cannot read the local lake '{path}': it would take '{path[glob]}' as a glob pattern (a lake path for Spark must not contain any of {GlobCharacters}).", nameof(folder));
        // A Windows drive path becomes /C:/…, the form Hadoop itself gives it.
        if (!path.StartsWith('/'))
            path = "/" + path;
        if (!path.EndsWith('/'))
            path += "/";
        return "file://" + path;
    }
}
