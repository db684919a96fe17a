namespace KpiPipeline.Kpis;

/// <summary>
/// The in-process engine: interprets <see cref="KpiDefinitions"/> over a stream of order lines, keeping only
/// per-date aggregates and the distinct sets the definitions need. Lines are de-duplicated per date by
/// <see cref="OrderLine.LineKey"/>, first come first counted: feed the newest batch's lines first.
/// </summary>
public sealed class KpiAggregator
{
    private readonly Dictionary<DateOnly, DateState> _dates = [];

    /// <returns>False when the line duplicates one already counted for its date.</returns>
    /// <exception cref="InvalidDataException">A sum of the line's date overflows (a data problem: no retry helps).</exception>
    public bool Add(OrderLine line)
    {
        try
        {
            return AddChecked(line);
        }
        catch (OverflowException e)
        {
            throw Overflow(line.Date, e);
        }
    }

    private bool AddChecked(OrderLine line)
    {
        if (!_dates.TryGetValue(line.Date, out var state))
        {
            state = new DateState();
            _dates.Add(line.Date, state);
        }
        if (!state.LineKeys.Add(line.LineKey))
            return false;
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
            try
            {
                AddResults(date, state, daily, categories);
            }
            catch (OverflowException e)
            {
                throw Overflow(date, e);
            }
        }
        return new KpiSnapshot(daily, categories);
    }

    private static InvalidDataException Overflow(DateOnly date, OverflowException e) => new(
        $"The KPIs of {Lake.LakeLayout.FormatDate(date)} overflow (a sum of sale_price × quantity or of quantities exceeds what a decimal holds): "
        + "the date's curated lines hold values outside the validator's bounds.", e);

    private static void AddResults(DateOnly date, DateState state, List<DailyKpi> daily, List<CategoryKpi> categories)
    {
        var values = state.Daily.Values(state.ReturnedOrders);
        daily.Add(new DailyKpi(
            date,
            checked((long)values["total_orders"]),
            values["total_revenue"],
            checked((long)values["total_items_sold"]),
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

    /// <summary>Line keys: <c>i:</c> + a numeric item id is kept as a number, anything else as text.</summary>
    private sealed class LineKeySet
    {
        private readonly HashSet<long> _itemIds = [];
        private readonly HashSet<string> _others = new(StringComparer.Ordinal);

        public bool Add(string lineKey) =>
            lineKey.StartsWith("i:", StringComparison.Ordinal) && DistinctSet.TryNumber(lineKey.AsSpan(2), out var id)
                ? _itemIds.Add(id)
                : _others.Add(lineKey);
    }

    private sealed class DateState
    {
        public LineKeySet LineKeys { get; } = new();

        public DistinctSet ReturnedOrders { get; } = new();

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
            var distinct = new Dictionary<LineColumn, DistinctValues>();
            _roots = definitions.Select(d => Accumulator.Compile(d.Measure, shared, distinct)).ToArray();
            _leaves = shared.Values.OfType<SumAccumulator>().Cast<Accumulator>().Concat(distinct.Values).ToArray();
        }

        public void Add(OrderLine line)
        {
            foreach (var leaf in _leaves)
                leaf.Add(line);
        }

        public Dictionary<string, decimal> Values(DistinctSet returnedOrders)
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

        public abstract decimal Result(DistinctSet returnedOrders);

        /// <summary>Builds the accumulator of a measure; equal measures, and distinct counts of one column, share state.</summary>
        public static Accumulator Compile(Measure measure, Dictionary<Measure, Accumulator> shared, Dictionary<LineColumn, DistinctValues> distinct)
        {
            if (shared.TryGetValue(measure, out var existing))
                return existing;
            Accumulator accumulator = measure switch
            {
                SumOf sum => new SumAccumulator(sum.Value),
                DistinctCount count => new DistinctAccumulator(count, Values(count.Column, distinct)),
                Ratio ratio => new RatioAccumulator(Compile(ratio.Numerator, shared, distinct), Compile(ratio.Denominator, shared, distinct)),
                _ => throw new NotSupportedException($"The in-process engine cannot evaluate {measure}."),
            };
            shared.Add(measure, accumulator);
            return accumulator;
        }

        private static DistinctValues Values(LineColumn column, Dictionary<LineColumn, DistinctValues> distinct)
        {
            if (!distinct.TryGetValue(column, out var values))
                distinct.Add(column, values = new DistinctValues(column));
            return values;
        }
    }

    private sealed class SumAccumulator(LineExpression value) : Accumulator
    {
        private decimal _total;

        public override void Add(OrderLine line) => _total = checked(_total + Evaluate(value, line));

        public override decimal Result(DistinctSet returnedOrders) => _total;

        private static decimal Evaluate(LineExpression expression, OrderLine line) => expression switch
        {
            ColumnValue { Column: LineColumn.SalePrice } => line.SalePrice,
            ColumnValue { Column: LineColumn.Quantity } => line.Quantity,
            ProductOf product => Evaluate(product.Left, line) * Evaluate(product.Right, line),
            _ => throw new NotSupportedException($"{expression} is not numeric."),
        };
    }

    /// <summary>The distinct values of one column in a group: a leaf that distinct counts of that column read.</summary>
    private sealed class DistinctValues(LineColumn column) : Accumulator
    {
        public DistinctSet Values { get; } = new();

        public override void Add(OrderLine line) => Values.Add(column switch
        {
            LineColumn.OrderId => line.OrderId,
            LineColumn.UserId => line.UserId,
            _ => throw new NotSupportedException($"Distinct counts of {column} are not defined."),
        });

        public override decimal Result(DistinctSet returnedOrders) => Values.Count;
    }

    private sealed class DistinctAccumulator(DistinctCount measure, DistinctValues values) : Accumulator
    {
        public override void Add(OrderLine line)
        {
            // The shared DistinctValues leaf collects the values.
        }

        public override decimal Result(DistinctSet returnedOrders) => measure.Filter switch
        {
            OrderFilter.All => values.Values.Count,
            OrderFilter.ReturnedOrders when measure.Column == LineColumn.OrderId => values.Values.CountIn(returnedOrders),
            _ => throw new NotSupportedException($"{measure} is not defined."),
        };
    }

    private sealed class RatioAccumulator(Accumulator numerator, Accumulator denominator) : Accumulator
    {
        public override void Add(OrderLine line)
        {
            // Ratios read their operands, which are fed as leaves.
        }

        public override decimal Result(DistinctSet returnedOrders)
        {
            var divisor = denominator.Result(returnedOrders);
            return divisor == 0 ? 0 : numerator.Result(returnedOrders) / divisor;
        }
    }
}
