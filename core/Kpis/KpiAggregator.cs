namespace KpiPipeline.Kpis;

/// <summary>
/// The in-process engine: interprets <see cref="KpiDefinitions"/> over a stream of order lines, keeping only
/// per-date aggregates and the distinct sets the definitions need. Lines are de-duplicated per date by
/// <see cref="OrderLine.LineKey"/>, first come first counted: feed the newest batch's lines first.
/// </summary>
public sealed class KpiAggregator
{
    private readonly Dictionary<DateOnly, DateState> _dates = [];

    public long LinesAdded { get; private set; }

    public long DuplicatesSkipped { get; private set; }

    /// <returns>False when the line duplicates one already counted for its date.</returns>
    public bool Add(OrderLine line)
    {
        if (!_dates.TryGetValue(line.Date, out var state))
        {
            state = new DateState();
            _dates.Add(line.Date, state);
        }
        if (!state.LineKeys.Add(line.LineKey))
        {
            DuplicatesSkipped++;
            return false;
        }
        LinesAdded++;
        if (line.Returned)
            state.ReturnedOrders.Add(line.OrderId);
        state.Daily.Add(line);
        if (!state.Categories.TryGetValue(line.Category, out var category))
        {
            category = new GroupState(KpiDefinitions.Category);
            state.Categories.Add(line.Category, category);
        }
        category.Add(line);
        return true;
    }

    public KpiSnapshot Result()
    {
        var daily = new List<DailyKpi>(_dates.Count);
        var categories = new List<CategoryKpi>();
        foreach (var (date, state) in _dates.OrderBy(d => d.Key))
        {
            var values = state.Daily.Values(state.ReturnedOrders);
            daily.Add(new DailyKpi(
                date,
                (long)values["total_orders"],
                values["total_revenue"],
                (long)values["total_items_sold"],
                values["return_rate"],
                (long)values["unique_customers"]));
            foreach (var (name, group) in state.Categories.OrderBy(c => c.Key, StringComparer.Ordinal))
            {
                var categoryValues = group.Values(state.ReturnedOrders);
                categories.Add(new CategoryKpi(
                    name,
                    date,
                    categoryValues["daily_revenue"],
                    categoryValues["avg_order_value"],
                    categoryValues["avg_return_rate"]));
            }
        }
        return new KpiSnapshot(daily, categories);
    }

    private sealed class DateState
    {
        public HashSet<string> LineKeys { get; } = new(StringComparer.Ordinal);

        public HashSet<string> ReturnedOrders { get; } = new(StringComparer.Ordinal);

        public GroupState Daily { get; } = new(KpiDefinitions.Daily);

        public Dictionary<string, GroupState> Categories { get; } = new(StringComparer.Ordinal);
    }

    /// <summary>The accumulators of one group. Equal measures share one accumulator (records compare by value).</summary>
    private sealed class GroupState
    {
        private readonly IReadOnlyList<KpiDefinition> _definitions;
        private readonly Accumulator[] _roots;
        private readonly Accumulator[] _leaves;

        public GroupState(IReadOnlyList<KpiDefinition> definitions)
        {
            _definitions = definitions;
            var shared = new Dictionary<Measure, Accumulator>();
            _roots = definitions.Select(d => Accumulator.Compile(d.Measure, shared)).ToArray();
            _leaves = shared.Values.Where(a => a is not RatioAccumulator).ToArray();
        }

        public void Add(OrderLine line)
        {
            foreach (var leaf in _leaves)
                leaf.Add(line);
        }

        public Dictionary<string, decimal> Values(HashSet<string> returnedOrders)
        {
            var values = new Dictionary<string, decimal>(_definitions.Count);
            for (var i = 0; i < _definitions.Count; i++)
                values[_definitions[i].Name] = KpiDefinitions.Round(_roots[i].Result(returnedOrders), _definitions[i].Kind);
            return values;
        }
    }

    private abstract class Accumulator
    {
        public abstract void Add(OrderLine line);

        public abstract decimal Result(HashSet<string> returnedOrders);

        public static Accumulator Compile(Measure measure, Dictionary<Measure, Accumulator> shared)
        {
            if (shared.TryGetValue(measure, out var existing))
                return existing;
            Accumulator accumulator = measure switch
            {
                SumOf sum => new SumAccumulator(sum.Value),
                DistinctCount count => new DistinctAccumulator(count),
                Ratio ratio => new RatioAccumulator(Compile(ratio.Numerator, shared), Compile(ratio.Denominator, shared)),
                _ => throw new NotSupportedException($"The in-process engine cannot evaluate {measure}."),
            };
            shared.Add(measure, accumulator);
            return accumulator;
        }
    }

    private sealed class SumAccumulator(LineExpression value) : Accumulator
    {
        private decimal _total;

        public override void Add(OrderLine line) => _total += Evaluate(value, line);

        public override decimal Result(HashSet<string> returnedOrders) => _total;

        private static decimal Evaluate(LineExpression expression, OrderLine line) => expression switch
        {
            ColumnValue { Column: LineColumn.SalePrice } => line.SalePrice,
            ColumnValue { Column: LineColumn.Quantity } => line.Quantity,
            ProductOf product => Evaluate(product.Left, line) * Evaluate(product.Right, line),
            _ => throw new NotSupportedException($"{expression} is not numeric."),
        };
    }

    private sealed class DistinctAccumulator(DistinctCount measure) : Accumulator
    {
        private readonly HashSet<string> _values = new(StringComparer.Ordinal);

        public override void Add(OrderLine line) => _values.Add(measure.Column switch
        {
            LineColumn.OrderId => line.OrderId,
            LineColumn.UserId => line.UserId,
            _ => throw new NotSupportedException($"Distinct counts of {measure.Column} are not defined."),
        });

        public override decimal Result(HashSet<string> returnedOrders) => measure.Filter switch
        {
            OrderFilter.All => _values.Count,
            OrderFilter.ReturnedOrders when measure.Column == LineColumn.OrderId => _values.Count(returnedOrders.Contains),
            _ => throw new NotSupportedException($"{measure} is not defined."),
        };
    }

    private sealed class RatioAccumulator(Accumulator numerator, Accumulator denominator) : Accumulator
    {
        public override void Add(OrderLine line)
        {
            // Ratios read their operands, which are fed as leaves.
        }

        public override decimal Result(HashSet<string> returnedOrders)
        {
            var divisor = denominator.Result(returnedOrders);
            return divisor == 0 ? 0 : numerator.Result(returnedOrders) / divisor;
        }
    }
}
