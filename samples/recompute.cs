// Recompute KPIs for a date range from a C# script (a .NET 10 file-based app):
//   dotnet run samples/recompute.cs -- .tmp/lake 2024-03-01 2024-03-31
#:project ../engine/KpiPipeline.Engine.csproj
#:project ../adapters/local/KpiPipeline.Local.csproj
#:project ../adapters/sqlite/KpiPipeline.Sqlite.csproj
// File-based apps default to native AOT, whose runtime pack is not needed to run a script.
#:property PublishAot=false

using KpiPipeline.Lake;
using KpiPipeline.Stores;
using KpiPipeline.Transform;

if (args.Length != 3 || !LakeLayout.TryParseDate(args[1], out var from) || !LakeLayout.TryParseDate(args[2], out var to))
{
    Console.Error.WriteLine("usage: dotnet run samples/recompute.cs -- <lake folder> <from YYYY-MM-DD> <to YYYY-MM-DD>");
    return 2;
}

var lake = new LocalObjectStore(args[0]);
await using var kpis = await SqliteKpiStore.OpenInLakeAsync(args[0], CancellationToken.None);
var snapshot = await Recomputation.RunAsync(lake, kpis, new InProcessKpiEngine(lake), from, to, TimeProvider.System, CancellationToken.None);

foreach (var day in snapshot.Daily)
    Console.WriteLine($"{day.Date:yyyy-MM-dd}  orders {day.TotalOrders,6}  revenue {day.TotalRevenue,12:N2}  returns {day.ReturnRate:P2}");
return 0;
