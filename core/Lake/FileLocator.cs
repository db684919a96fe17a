namespace KpiPipeline.Lake;

/// <summary>Finds where a raw key's file is now, so any stage can run again after another moved files on.</summary>
public static class FileLocator
{
    private static readonly Stage[] SearchOrder = [Stage.Raw, Stage.Validated, Stage.Processed, Stage.Invalid];

    /// <summary>The key the file currently has, looking in raw, validated, processed and invalid; null when it is nowhere.</summary>
    public static async Task<string?> LocateAsync(IObjectStore store, string rawKey, CancellationToken cancellationToken, params Stage[] stages)
    {
        if (!LakeLayout.TryParse(rawKey, out var file))
            throw new ArgumentException($"'{rawKey}' is not a data file key of the lake layout.", nameof(rawKey));
        foreach (var stage in stages.Length > 0 ? stages : SearchOrder)
        {
            var key = file.KeyIn(stage);
            if (await store.ExistsAsync(key, cancellationToken).ConfigureAwait(false))
                return key;
        }
        return null;
    }
}
