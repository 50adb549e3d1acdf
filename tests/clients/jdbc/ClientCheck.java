// pgjdbc (DBeaver, Metabase, DataGrip, Tableau) against `ceping serve`: the
// DatabaseMetaData calls those tools make when they connect and browse, a metric view, a
// prepared query with a parameter, numeric and date values, a refused write. Prints one
// line per step, `name<TAB>value` or `name<TAB>ERROR<TAB>message`; tests/it/clients.rs
// compiles it with javac and runs it with Debian's postgresql.jar on the class path.
import java.sql.*;
import java.util.*;

public class ClientCheck {
    interface Step { Object run() throws Exception; }

    static void step(String name, Step s) {
        try {
            System.out.println(name + "\t" + s.run());
        } catch (Exception e) {
            String m = String.valueOf(e.getMessage()).split("\n")[0];
            String state = e instanceof SQLException ? ((SQLException) e).getSQLState() : "";
            System.out.println(name + "\tERROR\t" + state + "\t" + m);
        }
    }

    static String rows(ResultSet rs, String... cols) throws SQLException {
        List<String> out = new ArrayList<>();
        while (rs.next()) {
            List<String> row = new ArrayList<>();
            for (String c : cols) row.add(String.valueOf(rs.getString(c)));
            out.add(String.join("|", row));
        }
        return String.join(";", out);
    }

    public static void main(String[] args) throws Exception {
        Connection c = DriverManager.getConnection(args[0], "analyst", "");
        DatabaseMetaData md = c.getMetaData();
        step("product", () -> md.getDatabaseProductName() + " " + md.getDatabaseMajorVersion() + "." + md.getDatabaseMinorVersion());
        step("tables", () -> rows(md.getTables(null, "public", "%", new String[] {"TABLE"}), "TABLE_NAME", "REMARKS"));
        step("views", () -> rows(md.getTables(null, "public", "plan_%", new String[] {"VIEW"}), "TABLE_NAME", "REMARKS"));
        step("columns", () -> rows(md.getColumns(null, "public", "findings", "%"), "COLUMN_NAME", "TYPE_NAME", "REMARKS"));
        step("primary_keys", () -> rows(md.getPrimaryKeys(null, "public", "budgets"), "COLUMN_NAME", "KEY_SEQ", "PK_NAME"));
        step("index_info", () -> rows(md.getIndexInfo(null, "public", "findings", false, true), "INDEX_NAME", "NON_UNIQUE", "COLUMN_NAME"));
        step("type_info", () -> {
            ResultSet rs = md.getTypeInfo();
            int n = 0;
            Set<String> names = new TreeSet<>();
            while (rs.next()) { n++; String t = rs.getString("TYPE_NAME"); if (t.equals("numeric") || t.equals("date") || t.equals("text")) names.add(t); }
            return n + " " + names;
        });
        step("imported_keys", () -> rows(md.getImportedKeys(null, "public", "findings"), "PKTABLE_NAME"));
        step("metric_view", () -> rows(c.createStatement().executeQuery("SELECT year, departments, units, systems FROM plan_coverage ORDER BY year"), "year", "departments", "units", "systems"));
        step("parameterised", () -> {
            PreparedStatement p = c.prepareStatement("SELECT department, spent FROM spending WHERE year = ? AND department = ?");
            p.setInt(1, 2018);
            p.setString(2, "市教委");
            ResultSet r = p.executeQuery();
            r.next();
            java.math.BigDecimal spent = r.getBigDecimal(2);
            return r.getString(1) + "|" + spent.toPlainString() + "|" + spent.getClass().getSimpleName();
        });
        step("date", () -> {
            ResultSet r = c.createStatement().executeQuery("SELECT min(assessed_on) FROM assessments");
            r.next();
            java.sql.Date d = r.getDate(1);
            return d + "|" + d.getClass().getSimpleName();
        });
        step("write", () -> c.createStatement().execute("DELETE FROM findings"));
        c.close();
    }
}
