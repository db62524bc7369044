package dashboards

import (
	"encoding/json"
	"fmt"
)

// PanelQuery is one query of a dashboard's JSON: a panel's target, a query variable or an annotation.
type PanelQuery struct {
	Dashboard  string // uid
	Where      string // `panel "<title>"`, `variable "<name>"` or `annotation "<name>"`
	Title      string // of the panel, variable or annotation
	Datasource string // uid
	Text       string // SQL (rawSql, or a variable's query) or PromQL (expr)
	Format     int    // of a ClickHouse query: 0 time series, 1 table
	Legend     string // of a Prometheus query
}

// dashboardJSON is what the package reads of a dashboard's JSON (its queries; the tests check the rest).
type dashboardJSON struct {
	UID           string      `json:"uid"`
	SchemaVersion int         `json:"schemaVersion"`
	Panels        []panelJSON `json:"panels"`
	Links         []struct {
		URL string `json:"url"`
	} `json:"links"`
	Templating struct {
		List []struct {
			Type       string          `json:"type"`
			Name       string          `json:"name"`
			Datasource *dataSourceJSON `json:"datasource"`
			Query      json.RawMessage `json:"query"`
			Multi      bool            `json:"multi"`
			Current    struct {
				Value json.RawMessage `json:"value"`
			} `json:"current"`
		} `json:"list"`
	} `json:"templating"`
	Annotations struct {
		List []struct {
			Name       string         `json:"name"`
			Datasource dataSourceJSON `json:"datasource"`
			Target     *targetJSON    `json:"target"`
		} `json:"list"`
	} `json:"annotations"`
}

type panelJSON struct {
	Title       string          `json:"title"`
	Datasource  *dataSourceJSON `json:"datasource"`
	Targets     []targetJSON    `json:"targets"`
	Panels      json.RawMessage `json:"panels"`
	GridPos     gridPosJSON     `json:"gridPos"`
	FieldConfig struct {
		Overrides []struct {
			Properties []struct {
				ID    string          `json:"id"`
				Value json.RawMessage `json:"value"`
			} `json:"properties"`
		} `json:"overrides"`
	} `json:"fieldConfig"`
}

type gridPosJSON struct{ X, Y, W, H int }

type dataSourceJSON struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type targetJSON struct {
	Datasource *dataSourceJSON `json:"datasource"`
	RawSQL     string          `json:"rawSql"`
	Expr       string          `json:"expr"`
	Format     int             `json:"format"`
	Legend     string          `json:"legendFormat"`
}

// Queries lists every query of a dashboard's JSON, in the order of its panels, variables and annotations. A target
// without a data source of its own uses its panel's.
func Queries(raw []byte) ([]PanelQuery, error) {
	var d dashboardJSON
	if err := json.Unmarshal(raw, &d); err != nil {
		return nil, fmt.Errorf("dashboard JSON: %w", err)
	}
	var out []PanelQuery
	target := func(where, title string, ds *dataSourceJSON, t targetJSON) PanelQuery {
		if ds == nil {
			ds = &dataSourceJSON{}
		}
		if t.Datasource != nil {
			ds = t.Datasource
		}
		text := t.RawSQL
		if text == "" {
			text = t.Expr
		}
		return PanelQuery{Dashboard: d.UID, Where: fmt.Sprintf("%s %q", where, title), Title: title,
			Datasource: ds.UID, Text: text, Format: t.Format, Legend: t.Legend}
	}
	for _, p := range d.Panels {
		if len(p.Panels) > 0 && string(p.Panels) != "null" && string(p.Panels) != "[]" {
			return nil, fmt.Errorf("dashboard %s: panel %q: collapsed rows are not read", d.UID, p.Title)
		}
		for _, t := range p.Targets {
			out = append(out, target("panel", p.Title, p.Datasource, t))
		}
	}
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		var sql string
		if err := json.Unmarshal(v.Query, &sql); err != nil {
			return nil, fmt.Errorf("dashboard %s: variable %q: query is not a string: %w", d.UID, v.Name, err)
		}
		q := PanelQuery{Dashboard: d.UID, Where: fmt.Sprintf("variable %q", v.Name), Title: v.Name, Text: sql, Format: 1}
		if v.Datasource != nil {
			q.Datasource = v.Datasource.UID
		}
		out = append(out, q)
	}
	for _, a := range d.Annotations.List {
		if a.Target != nil {
			out = append(out, target("annotation", a.Name, &a.Datasource, *a.Target))
		}
	}
	return out, nil
}

// DefaultVars are the values a dashboard's variables start with, from its JSON: a constant's value, the current
// value of the others ("All" of a list), with the variable database, if any, naming the Firebreak database.
func DefaultVars(raw []byte, database string) (map[string]Var, error) {
	var d dashboardJSON
	if err := json.Unmarshal(raw, &d); err != nil {
		return nil, fmt.Errorf("dashboard JSON: %w", err)
	}
	vars := map[string]Var{}
	for _, v := range d.Templating.List {
		value := v.Current.Value
		if v.Type == "constant" {
			value = v.Query
		}
		var values []string
		var one string
		if err := json.Unmarshal(value, &one); err == nil {
			values = []string{one}
		} else if err := json.Unmarshal(value, &values); err != nil {
			return nil, fmt.Errorf("dashboard %s: variable %q: value %s is neither a string nor strings", d.UID, v.Name, value)
		}
		vars[v.Name] = Var{Values: values, Multi: v.Multi, All: len(values) == 1 && values[0] == allValue}
	}
	if _, ok := vars["database"]; ok {
		vars["database"] = Var{Values: []string{database}}
	}
	return vars, nil
}
