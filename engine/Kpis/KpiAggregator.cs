using System.Text;
using KpiPipeline.Curated;

namespace KpiPipeline.Kpis;

/// <summary>
/// What the accumulators read of a line: ids as numbers where they are numbers, the price and quantity. The price
/// is either a decimal or, from curated blocks, whole millionths (<see cref="SaleMillionths"/>, else <see cref="NoMillionths"/>).
/// </summary>
internal readonly record struct LineFacts(IdKey OrderId, IdKey UserId, decimal SalePrice, int Quantity, long SaleMillionths = LineFacts.NoMillionths)
{
    public const long NoMillionths = long.MinValue;
}

/// <summary>
/// The in-process engine: interprets <see cref="KpiDefinitions"/> over a stream of order lines, keeping only
/// per-date aggregates and the distinct sets the definitions need. Lines are de-duplicated per date by
/// <see cref="OrderLine.LineKey"/>, first come first counted: feed the newest batch's lines first.
/// </summary>
/// <remarks>Its distinct sets are native bitmaps: dispose an aggregator when done with it.</remarks>
public sealed class KpiAggregator : IDisposable
{
    private readonly Dictionary<DateOnly, DateState> _dates = [];
    private DateOnly _lastDate;
    private DateState? _last;

    /// <returns>False when the line duplicates one already counted for its date.</returns>
    /// <exception cref="InvalidDataException">A sum of the line's date overflows (a data problem: no retry helps).</exception>
    public bool Add(OrderLine line)
    {
        try
        {
            var state = State(line.Date);
            if (!state.LineKeys.Add(LineKey.Of(line.LineKey)))
                return false;
            var facts = new LineFacts(IdKey.From(line.OrderId), IdKey.From(line.UserId), line.SalePrice, line.Quantity);
            AddCounted(state, line.Returned, state.Category(line.Category), facts);
            return true;
        }
        catch (OverflowException e)
        {
            throw Overflow(line.Date, e);
        }
    }

    /// <summary>Line <paramref name="index"/> of a block of typed columns: no record and no string unless an id is not a number.</summary>
    internal bool Add(OrderLineBlock block, int index)
    {
        var date = CuratedValues.FromEpochDay(block.Dates[index]);
        try
        {
            var state = State(date);
            if (!state.LineKeys.Add(LineKey.Of(block.LineKey[index])))
                return false;
            // Joined lines come with their ids parsed and their category numbered: nothing to parse or compare.
            var keys = block.Keys;
            var facts = new LineFacts(Id(keys?.OrderNumber[index], block.OrderId, index), Id(keys?.UserNumber[index], block.UserId, index),
                default, block.Quantity[index], block.SalePrice[index]);
            var category = keys is null ? state.Category(block.Category[index]) : state.Category(keys.Categories, keys.Category[index]);
            AddCounted(state, block.Returned[index], category, facts);
            return true;
        }
        catch (OverflowException e)
        {
            throw Overflow(date, e);
        }
    }

    /// <summary>An id as the join parsed it (its number, or where it is not one, its text); without the join's number, from its text.</summary>
    private static IdKey Id(long? joined, Utf8Column text, int index) =>
        joined is { } number && number != OrderLineBlock.JoinKeys.Text ? new(number, null) : IdKey.From(text[index]);

    /// <summary>True when a line counted here has the key of a line counted in <paramref name="other"/> on the same date.</summary>
    internal bool SharesLinesWith(KpiAggregator other)
    {
        foreach (var (date, theirs) in other._dates)
        {
            if (_dates.TryGetValue(date, out var ours) && ours.LineKeys.Overlaps(theirs.LineKeys))
                return true;
        }
        return false;
    }

    /// <summary>
    /// Counts <paramref name="other"/>'s lines here too. Exact only when no line is in both (see
    /// <see cref="SharesLinesWith"/>): without a duplicate to resolve, the order lines are counted in does not matter.
    /// <paramref name="other"/> is not to be used afterwards.
    /// </summary>
    /// <exception cref="InvalidOperationException">The two share a line.</exception>
    internal void Absorb(KpiAggregator other)
    {
        if (SharesLinesWith(other))
            throw new InvalidOperationException("The aggregators share lines: which copy counts depends on the order they come in.");
        foreach (var (date, theirs) in other._dates)
        {
            try
            {
                if (_dates.TryGetValue(date, out var ours))
                {
                    ours.Absorb(theirs);
                    theirs.Dispose();
                }
                else
                {
                    _dates.Add(date, theirs);
                }
            }
            catch (OverflowException e)
            {
                throw Overflow(date, e);
            }
        }
        other._dates.Clear();
        _last = null;
    }

    public void Dispose()
    {
        foreach (var state in _dates.Values)
            state.Dispose();
        _dates.Clear();
        _last = null;
    }

    private DateState State(DateOnly date)
    {
        if (_last is not null && _lastDate == date)
            return _last;
        if (!_dates.TryGetValue(date, out var state))
        {
            state = new DateState();
            _dates.Add(date, state);
        }
        (_lastDate, _last) = (date, state);
        return state;
    }

    /// <summary>Adds a line that is not a duplicate (categories only exist through lines that count).</summary>
    private static void AddCounted(DateState state, bool returned, GroupState category, in LineFacts line)
    {
        if (returned)
            state.ReturnedOrders.Include(line.OrderId);
        state.Daily.Add(line);
        category.Add(line);
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

    /// <summary>
    /// Line keys as set members: <c>i:</c> + a numeric item id is kept as the number, anything else as its text
    /// (an <c>r:</c> row key never parses as a number, so the two kinds cannot meet).
    /// </summary>
    private static class LineKey
    {
        public static IdKey Of(string lineKey) =>
            lineKey.StartsWith("i:", StringComparison.Ordinal) && DistinctSet.TryNumber(lineKey.AsSpan(2), out var id) ? new(id, null) : new(0, lineKey);

        public static IdKey Of(ReadOnlySpan<byte> lineKey) =>
            lineKey.StartsWith("i:"u8) && DistinctSet.TryNumber(lineKey[2..], out var id) ? new(id, null) : new(0, Encoding.UTF8.GetString(lineKey));
    }

    private sealed class DateState : IDisposable
    {
        private const int MaxCategoriesByBytes = 32;

        private readonly List<(byte[] Bytes, GroupState Group)> _byBytes = [];
        private IReadOnlyList<byte[]>? _numberedNames;
        private GroupState?[] _byNumber = [];

        public DistinctSet LineKeys { get; } = new();

        public DistinctSet ReturnedOrders { get; } = new();

        public GroupState Daily { get; } = new(KpiDefinitions.Daily);

        public Dictionary<string, GroupState> Categories { get; } = new(StringComparer.Ordinal);

        public void Dispose()
        {
            LineKeys.Dispose();
            ReturnedOrders.Dispose();
            Daily.Dispose();
            foreach (var group in Categories.Values)
                group.Dispose();
        }

        /// <summary>Adds another state's lines of the same date (none of them counted here); the other keeps its own sets but no groups.</summary>
        public void Absorb(DateState other)
        {
            LineKeys.UnionWith(other.LineKeys);
            ReturnedOrders.UnionWith(other.ReturnedOrders);
            Daily.Absorb(other.Daily);
            foreach (var (name, group) in other.Categories)
            {
                if (Categories.TryGetValue(name, out var ours))
                {
                    ours.Absorb(group);
                    group.Dispose();
                }
                else
                {
                    Categories.Add(name, group);
                }
            }
            // The groups taken over belong to this state now, the others are disposed: nothing is left for the other to dispose.
            other.Categories.Clear();
        }

        public GroupState Category(string name)
        {
            if (!Categories.TryGetValue(name, out var category))
                Categories.Add(name, category = new GroupState(KpiDefinitions.Category));
            return category;
        }

        /// <summary>Category <paramref name="number"/> of <paramref name="names"/> (a join's numbering: one lookup per name, then an index).</summary>
        public GroupState Category(IReadOnlyList<byte[]> names, int number)
        {
            if (!ReferenceEquals(names, _numberedNames))
            {
                _numberedNames = names;
                _byNumber = new GroupState?[names.Count];
            }
            return _byNumber[number] ??= Category(names[number].AsSpan());
        }

        /// <summary>
        /// A category given as UTF-8. A shop has a few dozen categories: those are compared as bytes with the
        /// ones seen before; beyond that, looked up as characters, so a known category costs no string.
        /// </summary>
        public GroupState Category(ReadOnlySpan<byte> utf8)
        {
            foreach (var (bytes, group) in _byBytes)
            {
                if (utf8.SequenceEqual(bytes))
                    return group;
            }
            var found = CategoryByChars(utf8);
            if (_byBytes.Count < MaxCategoriesByBytes)
                _byBytes.Add((utf8.ToArray(), found));
            return found;
        }

        private GroupState CategoryByChars(ReadOnlySpan<byte> utf8)
        {
            Span<char> small = stackalloc char[128];
            var chars = utf8.Length <= small.Length ? small : new char[utf8.Length];
            var name = chars[..Encoding.UTF8.GetChars(utf8, chars)];
            return Categories.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(name, out var category) ? category : Category(name.ToString());
        }
    }

    /// <summary>The accumulators of one group. Equal measures share one accumulator (records compare by value).</summary>
    private sealed class GroupState : IDisposable
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

        public void Add(in LineFacts line)
        {
            foreach (var leaf in _leaves)
                leaf.Add(line);
        }

        public void Dispose()
        {
            foreach (var leaf in _leaves.OfType<DistinctValues>())
                leaf.Values.Dispose();
        }

        /// <summary>Adds another group's state; both come from the same definitions, so their leaves pair up in order.</summary>
        public void Absorb(GroupState other)
        {
            for (var i = 0; i < _leaves.Length; i++)
                _leaves[i].Absorb(other._leaves[i]);
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
        public abstract void Add(in LineFacts line);

        public abstract decimal Result(DistinctSet returnedOrders);

        /// <summary>Adds the state of the same leaf of another group (sums and distinct values; other kinds hold none).</summary>
        public virtual void Absorb(Accumulator other)
        {
        }

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

    /// <summary>
    /// A sum over lines. The usual measures (prices, quantities, price × quantity) add whole numbers — millionths
    /// of curated prices, quantities — in 128 bits, which is exact and far cheaper than decimal arithmetic per
    /// line; the total becomes a decimal once, with the scale the decimal sum of the same values would have (6
    /// for curated prices, 0 for quantities). Any other expression, or a price given as a decimal, adds decimals.
    /// </summary>
    private sealed class SumAccumulator(LineExpression value) : Accumulator
    {
        private readonly Shape _shape = ShapeOf(value);
        private decimal _total;
        private Int128 _whole;        // quantities, or millionths of prices
        private bool _hasWhole;

        private enum Shape
        {
            Other,
            Quantity,
            Price,
            PriceTimesQuantity,
        }

        public override void Add(in LineFacts line)
        {
            switch (_shape)
            {
                case Shape.Quantity:
                    _whole += line.Quantity;
                    _hasWhole = true;
                    return;
                case Shape.Price when line.SaleMillionths != LineFacts.NoMillionths:
                    _whole += line.SaleMillionths;
                    _hasWhole = true;
                    return;
                case Shape.PriceTimesQuantity when line.SaleMillionths != LineFacts.NoMillionths:
                    // Below 2^43 millionths (8.8 million) times below 2^20 the product fits a long: one 64-bit
                    // multiply where a 128-bit one is a call (the portable build has no 128-bit multiply instruction).
                    _whole += (ulong)(line.SaleMillionths + (1L << 43)) < (1UL << 44) && (uint)line.Quantity < (1u << 20)
                        ? line.SaleMillionths * line.Quantity
                        : (Int128)line.SaleMillionths * line.Quantity;
                    _hasWhole = true;
                    return;
                default:
                    _total = checked(_total + Evaluate(value, line));
                    return;
            }
        }

        /// <exception cref="OverflowException">The total exceeds what a decimal holds.</exception>
        public override decimal Result(DistinctSet returnedOrders)
        {
            if (!_hasWhole)
                return _total;
            var whole = _shape == Shape.Quantity ? (decimal)_whole : Millionths(_whole);
            return checked(_total + whole);
        }

        public override void Absorb(Accumulator other)
        {
            var sum = (SumAccumulator)other;
            _total = checked(_total + sum._total);
            _whole += sum._whole;
            _hasWhole |= sum._hasWhole;
        }

        private static decimal Millionths(Int128 millionths)
        {
            var magnitude = (UInt128)(millionths < 0 ? -millionths : millionths);
            if (magnitude >> 96 != 0)
                throw new OverflowException("The sum exceeds what a decimal holds.");
            return new decimal((int)(uint)magnitude, (int)(uint)(magnitude >> 32), (int)(uint)(magnitude >> 64), millionths < 0, CuratedValues.PriceScale);
        }

        private static Shape ShapeOf(LineExpression expression) => expression switch
        {
            ColumnValue { Column: LineColumn.Quantity } => Shape.Quantity,
            ColumnValue { Column: LineColumn.SalePrice } => Shape.Price,
            ProductOf { Left: ColumnValue { Column: LineColumn.SalePrice }, Right: ColumnValue { Column: LineColumn.Quantity } } => Shape.PriceTimesQuantity,
            ProductOf { Left: ColumnValue { Column: LineColumn.Quantity }, Right: ColumnValue { Column: LineColumn.SalePrice } } => Shape.PriceTimesQuantity,
            _ => Shape.Other,
        };

        private static decimal Evaluate(LineExpression expression, in LineFacts line) => expression switch
        {
            ColumnValue { Column: LineColumn.SalePrice } => line.SaleMillionths == LineFacts.NoMillionths ? line.SalePrice : CuratedValues.FromMillionths(line.SaleMillionths),
            ColumnValue { Column: LineColumn.Quantity } => line.Quantity,
            ProductOf product => Evaluate(product.Left, line) * Evaluate(product.Right, line),
            _ => throw new NotSupportedException($"{expression} is not numeric."),
        };
    }

    /// <summary>The distinct values of one column in a group: a leaf that distinct counts of that column read.</summary>
    private sealed class DistinctValues(LineColumn column) : Accumulator
    {
        public DistinctSet Values { get; } = new();

        public override void Add(in LineFacts line) => Values.Include(column switch
        {
            LineColumn.OrderId => line.OrderId,
            LineColumn.UserId => line.UserId,
            _ => throw new NotSupportedException($"Distinct counts of {column} are not defined."),
        });

        public override decimal Result(DistinctSet returnedOrders) => Values.Count;

        public override void Absorb(Accumulator other) => Values.UnionWith(((DistinctValues)other).Values);
    }

    private sealed class DistinctAccumulator(DistinctCount measure, DistinctValues values) : Accumulator
    {
        public override void Add(in LineFacts line)
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
        public override void Add(in LineFacts line)
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
